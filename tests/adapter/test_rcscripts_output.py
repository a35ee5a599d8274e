"""An event script that leaves a background process behind: that process writes into a
pipe pyhb keeps draining until it lets go, never into a deleted temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhb.daemon.rcscripts import run_job
from pyhb.resources.process import script_env
from tests.helpers.background import assert_drained_then_closed, background_writer


@pytest.mark.asyncio
async def test_a_hook_s_background_child_writes_into_a_drained_pipe(tmp_path: Path) -> None:
    script = background_writer(tmp_path, "status", "hook ran")
    outcome = await run_job((str(script), "status"), script_env({}), tmp_path, 10.0)
    assert outcome.rc == 0
    assert "hook ran" in outcome.output
    await assert_drained_then_closed(tmp_path)
