"""An event script that leaves a background process behind: that process writes into a
pipe pyhb keeps draining until it lets go, never into a deleted temporary file."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from pyhb.daemon.rcscripts import run_job
from pyhb.resources.process import script_env
from tests.adapter.test_script_output import _our_fds_to


@pytest.mark.asyncio
async def test_a_hook_s_background_child_writes_into_a_drained_pipe(tmp_path: Path) -> None:
    info, done = tmp_path / "info", tmp_path / "done"
    child = (
        f"(sleep 0.3; readlink /proc/self/fd/3 3>&1 > {info}; "
        f"head -c 409600 /dev/zero; touch {done}; sleep 30) &"
    )
    script = tmp_path / "status"
    script.write_text(f"#!/bin/sh\necho hook ran\n{child}\necho $! > {tmp_path}/pid\n")
    script.chmod(0o755)
    outcome = await run_job((str(script), "status"), script_env({}), tmp_path, 10.0)
    assert outcome.rc == 0
    assert "hook ran" in outcome.output
    pid = int((tmp_path / "pid").read_text())
    try:
        for _ in range(200):  # the loop must run to drain the pipe
            if done.exists():
                break
            await asyncio.sleep(0.025)
        held = info.read_text().strip()
        assert held.startswith("pipe:[")  # not a (deleted) file
        assert done.exists()  # 400 KB went through: read, not blocked
    finally:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    for _ in range(200):  # once the last holder is gone, the pipe is closed
        if not _our_fds_to(held):
            break
        await asyncio.sleep(0.025)
    assert _our_fds_to(held) == []
