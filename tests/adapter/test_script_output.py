"""A daemon left behind by a start script keeps the script's stdout: it writes into a
pipe that pyhb keeps draining (and dropping) until the daemon lets go, never into a
deleted file, never blocked or killed for writing (``resources.output``)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pyhb.resources.plan import Action, Invocation
from pyhb.resources.process import run_subprocess, script_env
from tests.helpers.background import assert_drained_then_closed, background_writer


@pytest.mark.asyncio
async def test_a_background_child_writes_into_a_drained_pipe_not_a_deleted_file(
    tmp_path: Path,
) -> None:
    script = background_writer(tmp_path, "script", "started")
    inv = Invocation((str(script), "start"), 10.0, "script", Action.START)
    started = time.monotonic()
    result = await run_subprocess(inv, script_env({}))
    assert time.monotonic() - started < 5
    assert (result.rc, result.stdout) == (0, "started\n")
    await assert_drained_then_closed(tmp_path)
