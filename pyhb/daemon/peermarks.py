"""The peers' marks in the state directory: the newest (generation, seq) accepted from
each peer, so a recording of its packets is still a replay after our own restart
(``core.replayfloor``, docs/authkeys.md).

File ``pyhb_peer_marks``: one line per peer, ``NAME GENERATION SEQ`` in decimal, written
by ``state.write_durably`` in a worker thread (an fsync must not stall the loop): when a
peer is declared dead (its last packets are then known), every ``INTERVAL`` seconds
while the marks move, and at shutdown. A missing file means no marks; an unreadable or
malformed line is skipped with a warning.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from pyhb.core import replayfloor
from pyhb.core.peers import PeerTable
from pyhb.daemon.state import write_durably

log = logging.getLogger(__name__)

FILE = "pyhb_peer_marks"
INTERVAL = 10.0


def load(statedir: Path) -> replayfloor.Marks:
    """The marks written by the previous run, or none."""
    path = statedir / FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("Cannot read %s: %s; replays from before this start are not refused", path, exc)
        return {}
    marks: replayfloor.Marks = {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if len(words) == 3 and words[1].isdigit() and words[2].isdigit():
            marks[words[0]] = (int(words[1]), int(words[2]))
        elif words:
            log.warning("%s:%d: not NAME GENERATION SEQ; line ignored", path, number)
    return marks


def render(marks: replayfloor.Marks) -> bytes:
    return "".join(f"{n} {g} {s}\n" for n, (g, s) in sorted(marks.items())).encode()


class MarkKeeper:
    """Writes ``table``'s marks to ``statedir`` when they matter (see the module)."""

    def __init__(self, statedir: Path, table: PeerTable) -> None:
        self.path = statedir / FILE
        self._table = table
        self._written: replayfloor.Marks | None = None
        self._task: asyncio.Task[None] | None = None
        self._writing: asyncio.Task[None] | None = None
        self._again = False

    @classmethod
    def resume(cls, statedir: Path, table: PeerTable) -> MarkKeeper:
        """Give ``table`` the previous run's marks and keep its own from now on."""
        marks = load(statedir)
        replayfloor.apply(table, marks)
        keeper = cls(statedir, table)
        keeper._written = marks
        keeper._task = asyncio.create_task(keeper._every_interval())
        return keeper

    def soon(self) -> None:
        """Write the marks now (a peer died), in the background."""
        if self._writing is not None and not self._writing.done():
            self._again = True
            return
        self._writing = asyncio.create_task(self._write())

    async def close(self) -> None:
        """Stop the periodic writes and write the marks one last time."""
        if self._task is not None:
            self._task.cancel()
        self.soon()
        if self._writing is not None:
            await self._writing

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            self.soon()

    async def _write(self) -> None:
        while True:
            self._again = False
            marks = replayfloor.collect(self._table)
            if marks != self._written:
                await asyncio.to_thread(self._store, marks)
            if not self._again:
                return

    def _store(self, marks: replayfloor.Marks) -> None:
        try:
            write_durably(self.path, render(marks), mode=0o600)
        except OSError as exc:
            log.warning("Cannot write %s: %s", self.path, exc)
            return
        self._written = marks
