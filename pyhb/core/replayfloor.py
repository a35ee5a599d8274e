"""What each peer had sent when we last looked, kept across our own restart.

Heartbeat 3.0.6 remembers a peer's generation and sequence numbers in memory only: a
node that restarts accepts any generation, so a recording of a dead peer's statuses,
replayed after our restart, makes it look alive again (signed packets stay valid for
ever). pyhb keeps, per peer, the newest (generation, seq) it accepted (``collect``),
the daemon writes them to its state directory (``daemon.peermarks``) and gives them
back to the next engine (``apply``): a packet at or below its peer's mark is a replay
(``SeqTracker.floor``), refreshes no link and makes no one alive.

A live peer is not affected: it goes on numbering upward in the same generation, or
starts a higher one. Its 3.0.6 peers neither know nor need any of this. Limits
(docs/authkeys.md): a mark written a while before the peer's last packets leaves those
last packets replayable; a peer whose generation went backwards (a reinstalled node
that lost its ``hb_generation``) is refused until the marks are removed.

Part of the engine; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyhb.core.peers import PeerTable

Marks = dict[str, tuple[int, int]]


def collect(table: PeerTable) -> Marks:
    """The newest (generation, seq) accepted from each peer, or its floor if higher."""
    out: Marks = {}
    for name, peer in table.peers.items():
        tracker = peer.tracker
        mark = None if tracker.generation is None else (tracker.generation, tracker.last)
        if tracker.floor is not None and (mark is None or tracker.floor > mark):
            mark = tracker.floor
        if mark is not None and mark[1] > 0:
            out[name] = mark
    return out


def apply(table: PeerTable, marks: Mapping[str, tuple[int, int]]) -> None:
    """Refuse, from each peer named in ``marks``, everything at or below its mark."""
    for name, mark in marks.items():
        peer = table.peers.get(name)
        if peer is not None:
            peer.tracker.floor = mark
