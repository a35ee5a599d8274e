"""Sequence numbers and generations: replay and duplicate suppression, retransmission.

Receive side (``SeqTracker``, one per peer) follows heartbeat 3.0.6's rules
(heartbeat.c ``should_drop_message``): a lower generation is a replay; a higher one
is a restart; an in-order or previously missing seq is accepted; anything else
already seen is a duplicate (every datagram arrives once per medium). Gaps are
recorded and asked for with ``NS_rexmit`` after a random delay, then every
``max_rexmit_delay`` until filled.

Send side (``SendHistory``) keeps the last 500 sequenced datagrams, byte for byte, to
serve retransmission requests (hb_rexmit.c keeps the same number); ``AnswerBudget``
bounds how much one peer's requests can make us send.

Imports stdlib only; randomness is injected.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_GAP = 250  # heartbeat.c: a larger gap resets tracking ("lost a lot of packets!")
HISTORY = 500  # heartbeat.c MAXMSGHIST
MAX_REXMIT_PER_REQUEST = 50
MIN_REXMIT_DELAY = 0.050


class Verdict(enum.Enum):
    ACCEPT = "accept"  # new, process it
    DUPLICATE = "duplicate"  # seen already (another medium or a retransmission)
    REPLAY = "replay"  # older generation
    RESTART = "restart"  # newer generation: the peer restarted; tracking was reset


@dataclass(slots=True)
class Missing:
    seq: int
    next_ask: float  # monotonic time of the next NS_rexmit for it
    asked: int = 0


@dataclass(slots=True)
class Received:
    verdict: Verdict
    gap: tuple[int, int] | None = None  # (last, seq) when packets were lost
    filled: bool = False  # the last missing packet just arrived


@dataclass(slots=True)
class SeqTracker:
    """What we have received from one peer in its current generation."""

    rand: Callable[[], float]
    max_rexmit_delay: float = 0.25
    generation: int | None = None
    last: int = 0
    missing: dict[int, Missing] = field(default_factory=dict)
    # (generation, seq) of the newest packet from this peer before our own restart
    # (``core.replayfloor``): nothing at or below it is new.
    floor: tuple[int, int] | None = None

    def receive(self, generation: int, seq: int, now: float, *, is_status: bool) -> Received:
        """Classify one sequenced message and update the tracking state."""
        restarted = False
        if self.generation is not None and generation < self.generation:
            return Received(Verdict.REPLAY)
        if self.floor is not None and (generation, seq) <= self.floor:
            return Received(Verdict.REPLAY)
        if self.generation is None or generation > self.generation:
            # 3.0.6 resets only on a status; any newer generation is a restart to us,
            # since a message can only carry it once the peer has started again.
            restarted = self.generation is not None
            self.generation = generation
            self.last = 0
            self.missing.clear()
        del is_status
        if seq <= self.last:
            if seq in self.missing:
                del self.missing[seq]
                return Received(Verdict.ACCEPT, filled=not self.missing)
            return Received(Verdict.DUPLICATE)
        gap = None
        if self.last and seq > self.last + 1:
            if seq - self.last > MAX_GAP:
                self.missing.clear()
            else:
                for s in range(self.last + 1, seq):
                    self.missing[s] = Missing(s, now + self._delay())
                gap = (self.last, seq)
        self.last = seq
        return Received(Verdict.RESTART if restarted else Verdict.ACCEPT, gap=gap)

    def _delay(self) -> float:
        span = max(self.max_rexmit_delay - MIN_REXMIT_DELAY, 0.0)
        return MIN_REXMIT_DELAY + self.rand() * span

    def next_deadline(self) -> float | None:
        """When the next retransmission request is due, if any."""
        return min((m.next_ask for m in self.missing.values()), default=None)

    def due(self, now: float) -> list[tuple[int, int]]:
        """Ranges (first, last) to ask for now; re-arms each for ``max_rexmit_delay``."""
        seqs = sorted(m.seq for m in self.missing.values() if m.next_ask <= now)
        for s in seqs:
            m = self.missing[s]
            m.asked += 1
            m.next_ask = now + self.max_rexmit_delay
        ranges: list[tuple[int, int]] = []
        for s in seqs:
            if ranges and ranges[-1][1] == s - 1:
                ranges[-1] = (ranges[-1][0], s)
            else:
                ranges.append((s, s))
        return ranges

    def forget(self) -> None:
        """Stop asking (the peer died); keep the generation so replays stay detected."""
        self.missing.clear()


class Lookup(enum.Enum):
    FOUND = "found"
    TOO_LOW = "seqno too low"
    NOT_FOUND = "seqno not found"
    TOO_HIGH = "too high"
    RECENT = "recently resent"


@dataclass(slots=True)
class AnswerBudget:
    """How many datagrams (resends and NAKs) we send one peer in answer to its NS_rexmit
    requests: at most ``MAX_REXMIT_PER_REQUEST`` per ``window`` (its ``max_rexmit_delay``).

    A peer that lost packets asks for at most that many in one request and asks again
    only after ``max_rexmit_delay``, so it never notices the budget. NS_rexmit carries no
    sequence number, so a recorded request passes every check when replayed; the budget
    is what keeps a replay (or a confused peer) from turning one small datagram into
    dozens of answers, again and again.
    """

    window: float
    left: int = MAX_REXMIT_PER_REQUEST
    since: float = float("-inf")

    def take(self, now: float) -> bool:
        """Spend one answer now; False when this window's answers are used up."""
        if now - self.since >= self.window:
            self.since = now
            self.left = MAX_REXMIT_PER_REQUEST
        if self.left <= 0:
            return False
        self.left -= 1
        return True


@dataclass(slots=True)
class SendHistory:
    """Our last sent sequenced datagrams, to answer NS_rexmit byte for byte."""

    max_rexmit_delay: float = 0.25
    next_seq: int = 1
    _sent: OrderedDict[int, bytes] = field(default_factory=OrderedDict)
    _resent_at: dict[int, float] = field(default_factory=dict)

    def allocate(self) -> int:
        """The sequence number for the next sequenced message."""
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def record(self, seq: int, datagram: bytes) -> None:
        self._sent[seq] = datagram
        while len(self._sent) > HISTORY:
            old, _ = self._sent.popitem(last=False)
            self._resent_at.pop(old, None)

    def release_through(self, seq: int) -> None:
        """Forget every kept datagram up to ``seq``: every live peer acknowledged them."""
        sent = self._sent
        while sent:
            first = next(iter(sent))
            if first > seq:
                break
            del sent[first]
            self._resent_at.pop(first, None)

    def __len__(self) -> int:
        return len(self._sent)

    def lookup(self, seq: int, now: float) -> tuple[Lookup, bytes | None]:
        """Find one requested seq; rate-limits resends of the same seq."""
        if seq >= self.next_seq:
            return Lookup.TOO_HIGH, None
        if not self._sent or seq < next(iter(self._sent)):
            return Lookup.TOO_LOW, None
        data = self._sent.get(seq)
        if data is None:
            return Lookup.NOT_FOUND, None
        last = self._resent_at.get(seq)
        if last is not None and now - last < self.max_rexmit_delay - 0.010:
            return Lookup.RECENT, None
        self._resent_at[seq] = now
        return Lookup.FOUND, data
