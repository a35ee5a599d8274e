"""A daemon left behind by a start script keeps the script's stdout: it writes into a
pipe that pyhb keeps draining (and dropping) until the daemon lets go, never into a
deleted file, never blocked or killed for writing (``resources.output``)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from pyhb.resources.plan import Action, Invocation
from pyhb.resources.process import run_subprocess, script_env


def _our_fds_to(target: str) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                found.append(fd)
        except OSError:
            continue
    return found


@pytest.mark.asyncio
async def test_a_background_child_writes_into_a_drained_pipe_not_a_deleted_file(
    tmp_path: Path,
) -> None:
    info, done = tmp_path / "info", tmp_path / "done"
    # The child waits for the script to be done, says what its stdout is, then writes
    # 400 KB (six pipe buffers) and marks the end.
    child = (
        f"(sleep 0.3; readlink /proc/self/fd/3 3>&1 > {info}; "
        f"head -c 409600 /dev/zero; touch {done}; sleep 30) &"
    )
    script = tmp_path / "script"
    script.write_text(f"#!/bin/sh\necho started\n{child}\necho $! > {tmp_path}/pid\n")
    script.chmod(0o755)
    inv = Invocation((str(script), "start"), 10.0, "script", Action.START)
    started = time.monotonic()
    result = await run_subprocess(inv, script_env({}))
    assert time.monotonic() - started < 5
    assert (result.rc, result.stdout) == (0, "started\n")
    pid = int((tmp_path / "pid").read_text())
    try:
        for _ in range(200):  # the loop must run to drain the pipe
            if done.exists():
                break
            await asyncio.sleep(0.025)
        held = info.read_text().strip()
        assert held.startswith("pipe:[")
        assert done.exists()  # 400 KB went through: read, not blocked, not SIGPIPE
        assert _our_fds_to(held)  # still drained while the child holds it
    finally:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    for _ in range(200):  # once the last holder is gone, the pipe is closed
        if not _our_fds_to(held):
            break
        await asyncio.sleep(0.025)
    assert _our_fds_to(held) == []
