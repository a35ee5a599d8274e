"""Floods on the transport: each wake-up is bounded by time as well as by count, and a
twin flooded with what looks like steady statuses is read every FLOOD_TICK, not left to
fill up between timers (``net.transport``)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from pyhb.clock import Instant
from pyhb.net.transport import MAX_BATCH, READ_BUDGET, Transport

from .test_transport import FakeEngine, _medium, _pair, _split_medium, sockets, until_received

__all__ = ["sockets"]  # the fixture, used by name

COST = 0.002  # what the slow engine spends on each datagram


def _slow(engine: FakeEngine) -> list[int]:
    """Make ``engine`` take COST per datagram; the returned list gets, per pass of the
    transport (each ``on_events``), how many datagrams that pass fed."""
    engine.on_receive = lambda data: time.sleep(COST)
    return []


@pytest.mark.asyncio
async def test_a_wake_up_feeds_a_slow_engine_for_a_bounded_time_then_yields(
    sockets: list[socket.socket],
) -> None:
    """Forty datagrams at 2 ms each: no pass feeds much more than READ_BUDGET's worth,
    and every datagram still arrives, in order."""
    sock, peer = _pair(sockets)
    engine = FakeEngine()
    per_pass = _slow(engine)
    seen = 0

    def on_events() -> None:
        nonlocal seen
        per_pass.append(len(engine.received) - seen)
        seen = len(engine.received)

    t = await Transport.open(engine, [_medium(sock, peer.getsockname())], on_events=on_events)
    try:
        per_pass.clear()
        count = 40
        for i in range(count):
            peer.sendto(b"%d" % i, sock.getsockname())
        await until_received(engine, count)
        assert [d for d, _, _ in engine.received] == [b"%d" % i for i in range(count)]
        assert max(per_pass) <= READ_BUDGET / COST + 1
        assert len(per_pass) >= count / (READ_BUDGET / COST + 1)
    finally:
        t.close()


@pytest.mark.asyncio
async def test_split_media_feed_a_slow_engine_for_a_bounded_time_once_its_cost_is_known(
    sockets: list[socket.socket],
) -> None:
    """The split read learns the engine's cost per datagram from one batch; from then on
    a wake-up reads only what it can feed within READ_BUDGET."""
    ms, _twin, peer = _split_medium(sockets)
    engine = FakeEngine()
    per_pass = _slow(engine)
    seen = 0

    def on_events() -> None:
        nonlocal seen
        per_pass.append(len(engine.received) - seen)
        seen = len(engine.received)

    t = await Transport.open(engine, [ms], on_events=on_events)
    try:
        peer.sendto(b"first", ms.sock.getsockname())  # one batch: the cost is learnt
        await until_received(engine, 1)
        per_pass.clear()
        count = 40
        for i in range(count):
            peer.sendto(b"%d" % i, ms.sock.getsockname())
        await until_received(engine, count + 1)
        assert sorted(int(d) for d, _, _ in engine.received[1:]) == list(range(count))
        assert max(per_pass) <= READ_BUDGET / COST + 1
    finally:
        t.close()


@pytest.mark.asyncio
async def test_a_flooded_twin_is_read_every_flood_tick_until_a_timer_finds_it_calm(
    sockets: list[socket.socket],
) -> None:
    """More on the twin than one timer reads: the rest is read within a flood tick, and
    so is what comes next; after a timer interval with no more than a batch, the twin
    waits for the timer again."""
    ms, twin, peer = _split_medium(sockets)
    engine = FakeEngine()
    loop = asyncio.get_running_loop()

    read_by_timer: list[int] = []  # datagrams fed when each timer was handled

    def rearm(now: Instant) -> None:
        read_by_timer.append(len(engine.received))
        engine.deadline = now.mono + 30

    engine.on_timer = rearm
    engine.deadline = loop.time() + 30
    t = await Transport.open(engine, [ms], on_events=lambda: None)

    async def timer() -> None:
        engine.timer_fired.clear()
        engine.deadline = loop.time()
        t.kick()
        await asyncio.wait_for(engine.timer_fired.wait(), 5)

    try:
        count = 2 * MAX_BATCH + 8
        for i in range(count):
            peer.sendto(b"%d" % i, twin.getsockname())
        await asyncio.sleep(0.05)
        assert engine.received == []  # a twin wakes nobody
        await timer()
        assert 0 < read_by_timer[0] < count  # one timer does not read them all ...
        await until_received(engine, count)  # ... the rest comes without one
        peer.sendto(b"next", twin.getsockname())
        await until_received(engine, count + 1)
        await timer()  # more than a batch came since the last timer: still flooded
        peer.sendto(b"still", twin.getsockname())
        await until_received(engine, count + 2)
        await timer()  # calm since the last timer: back to reading at the timer
        engine.got_datagram.clear()
        peer.sendto(b"steady", twin.getsockname())
        await asyncio.sleep(0.15)
        assert not engine.got_datagram.is_set()
    finally:
        t.close()
