"""The peers' marks on disk (``daemon.peermarks``): read back by the next run, written
when a peer dies and at shutdown, malformed lines skipped."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from pyhb.core.peers import PeerTable
from pyhb.core.seqno import Verdict
from pyhb.daemon import peermarks
from pyhb.daemon.peermarks import FILE, MarkKeeper, load


def _table() -> PeerTable:
    return PeerTable.build(("b", "c"), ("eth0",), 1.0, 0.25, lambda: 0.5)


def test_no_file_means_no_marks(tmp_path: Path) -> None:
    assert load(tmp_path) == {}


def test_malformed_lines_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / FILE).write_text("b 1700000000 42\nc twelve 3\n\nd 5\n")
    with caplog.at_level(logging.WARNING):
        assert load(tmp_path) == {"b": (1700000000, 42)}
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path / FILE}:2: not NAME GENERATION SEQ; line ignored",
        f"{tmp_path / FILE}:4: not NAME GENERATION SEQ; line ignored",
    ]


@pytest.mark.asyncio
async def test_marks_written_on_demand_and_at_close_are_the_next_runs_floor(
    tmp_path: Path,
) -> None:
    table = _table()
    keeper = MarkKeeper.resume(tmp_path, table)
    b = table.peers["b"].tracker
    for seq in range(1, 6):
        b.receive(1700000000, seq, 0.0, is_status=True)
    keeper.soon()  # a peer died
    for _ in range(100):
        if load(tmp_path):
            break
        await asyncio.sleep(0.01)
    assert load(tmp_path) == {"b": (1700000000, 5)}
    assert (tmp_path / FILE).stat().st_mode & 0o777 == 0o600
    b.receive(1700000000, 6, 0.0, is_status=True)
    await keeper.close()
    assert (tmp_path / FILE).read_text() == "b 1700000000 6\n"

    again = _table()
    later = MarkKeeper.resume(tmp_path, again)  # the next run
    tracker = again.peers["b"].tracker
    assert tracker.receive(1700000000, 6, 0.0, is_status=True).verdict is Verdict.REPLAY
    assert tracker.receive(1700000000, 7, 0.0, is_status=True).verdict is Verdict.ACCEPT
    await later.close()


@pytest.mark.asyncio
async def test_the_marks_are_written_every_interval_while_they_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peermarks, "INTERVAL", 0.01)
    table = _table()
    keeper = MarkKeeper.resume(tmp_path, table)
    table.peers["c"].tracker.receive(9, 3, 0.0, is_status=True)
    for _ in range(200):
        if load(tmp_path):
            break
        await asyncio.sleep(0.01)
    assert load(tmp_path) == {"c": (9, 3)}
    await keeper.close()
