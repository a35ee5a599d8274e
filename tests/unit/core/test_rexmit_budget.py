"""NS_rexmit requests are answered within a budget: a replayed request cannot make a node
send dozens of datagrams again and again."""

from __future__ import annotations

from bench.hostile import build_target
from pyhb.clock import Instant
from pyhb.core.seqno import MAX_REXMIT_PER_REQUEST


def test_a_replayed_rexmit_request_is_answered_within_the_budget() -> None:
    """One request for 36 seqs that a no longer keeps, replayed 20 times at once, gets at
    most one request's worth of answers; once max_rexmit_delay has passed, a new one is
    answered again."""
    target = build_target()
    a = target.engine
    b = target.sim.nodes["b"].engine
    assert b is not None
    b.datagrams_to_send(target.now)
    b.send("NS_rexmit", [("firstseq", "1"), ("lastseq", "36")], dest="a")
    (request,) = b.datagrams_to_send(target.now)
    a.datagrams_to_send(target.now)

    def answers(now: Instant, times: int) -> int:
        sent = 0
        for _ in range(times):
            a.receive_datagram(request, "hb0", ("10.77.0.2", 694), now)
            sent += len(a.datagrams_to_send(now))
        return sent

    first = answers(target.now, 1)
    assert first == 36  # a NAK for every seq it no longer has, as 3.0.6 answers
    assert answers(target.now, 19) <= MAX_REXMIT_PER_REQUEST - first
    later = Instant(target.now.mono + 0.3, target.now.wall + 0.3)
    assert answers(later, 1) == 36
