"""A script that leaves a background child writing 400 KB into the script's stdout after
the script is done, and the checks that pyhb drained it through a pipe (the script-output
tests of resource and event scripts)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path


def background_writer(tmp_path: Path, name: str, first_line: str) -> Path:
    """A script printing ``first_line`` whose child waits for the script to be done, says
    what its stdout is (``info``), then writes 400 KB (six pipe buffers) and marks the end
    (``done``); the child's pid goes to ``pid``."""
    info, done = tmp_path / "info", tmp_path / "done"
    child = (
        f"(sleep 0.3; readlink /proc/self/fd/3 3>&1 > {info}; "
        f"head -c 409600 /dev/zero; touch {done}; sleep 30) &"
    )
    script = tmp_path / name
    script.write_text(f"#!/bin/sh\necho {first_line}\n{child}\necho $! > {tmp_path}/pid\n")
    script.chmod(0o755)
    return script


def our_fds_to(target: str) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                found.append(fd)
        except OSError:
            continue
    return found


async def assert_drained_then_closed(tmp_path: Path) -> None:
    """The child's 400 KB went through a pipe (read, not blocked, not SIGPIPE), which we
    keep open while it holds it and close once it is gone."""
    done = tmp_path / "done"
    pid = int((tmp_path / "pid").read_text())
    try:
        for _ in range(200):  # the loop must run to drain the pipe
            if done.exists():
                break
            await asyncio.sleep(0.025)
        held = (tmp_path / "info").read_text().strip()
        assert held.startswith("pipe:[")  # not a (deleted) file
        assert done.exists()
        assert our_fds_to(held)  # still drained while the child holds it
    finally:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    for _ in range(200):  # once the last holder is gone, the pipe is closed
        if not our_fds_to(held):
            break
        await asyncio.sleep(0.025)
    assert our_fds_to(held) == []
