"""A flood of rejected packets writes a bounded number of debug lines: the first
DEBUG_BUDGET of each minute, the rest only counted (a debugfile would otherwise grow as
fast as the flood comes)."""

from __future__ import annotations

import logging

import pytest

from pyhb.core.badpackets import BUDGET, DEBUG_BUDGET, INTERVAL, BadPacketLog


@pytest.mark.parametrize("enabled", [True, False])
def test_debug_lines_are_bounded_per_interval(
    caplog: pytest.LogCaptureFixture, enabled: bool
) -> None:
    bad = BadPacketLog()
    warnings: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="pyhb.core.badpackets"):
        for i in range(5000):
            warnings += bad.note(i / 100, f"10.77.{i % 200}.1", f"junk {i}", enabled=enabled)
        debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
        assert (
            debug
            == [f"junk {i}" for i in range(5000) if i >= (BUDGET if enabled else 0)][:DEBUG_BUDGET]
        )
        caplog.clear()
        later = bad.note(INTERVAL + 60, "10.77.9.9", "after a minute", enabled=enabled)
        if enabled:
            assert later[-1] == "after a minute"  # a new period: the budgets are back
            assert later[0].startswith(f"{5000 - BUDGET} bad packets from 200 sources")
        else:
            assert [r.getMessage() for r in caplog.records] == ["after a minute"]
    assert len(warnings) == (BUDGET if enabled else 0)
