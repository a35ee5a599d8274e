"""The asyncio transport over loopback sockets, driving a recording fake engine."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections.abc import Callable, Iterator

import pytest

from pyhb.clock import Instant
from pyhb.config.model import Ucast
from pyhb.net.sockets import MediumSocket
from pyhb.net.split import SO_TIMESTAMPNS
from pyhb.net.transport import MAX_BATCH, Transport


class FakeEngine:
    """Records every call in order; tests set the deadline and the outgoing queue."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.received: list[tuple[bytes, str, tuple[str, int]]] = []
        self.arrived: list[float | None] = []
        self.timer_nows: list[Instant] = []
        self.timer_fired_at: list[float] = []
        self.outbox: list[bytes] = []
        self.deadline: float | None = None
        self.on_timer: Callable[[Instant], None] | None = None
        self.on_receive: Callable[[bytes], None] | None = None
        self.unchanged: set[bytes] = set()  # datagrams reported as dropped untouched
        self.wanted = False  # statuses_wanted()
        self.got_datagram = asyncio.Event()
        self.timer_fired = asyncio.Event()

    def receive_datagram(
        self,
        data: bytes,
        medium: str,
        addr: tuple[str, int],
        now: Instant,
        arrived: float | None = None,
    ) -> bool:
        self.calls.append("receive")
        self.received.append((data, medium, addr))
        self.arrived.append(arrived)
        self.got_datagram.set()
        if self.on_receive is not None:
            self.on_receive(data)
        return data not in self.unchanged

    def datagrams_to_send(self, now: Instant) -> list[bytes]:
        self.calls.append("send")
        out, self.outbox = self.outbox, []
        return out

    def get_timer(self) -> float | None:
        self.calls.append("get_timer")
        return self.deadline

    def statuses_wanted(self) -> bool:
        return self.wanted

    def handle_timer(self, now: Instant) -> None:
        self.calls.append("timer")
        self.timer_nows.append(now)
        self.timer_fired_at.append(asyncio.get_running_loop().time())
        if self.on_timer is not None:
            self.on_timer(now)
        self.timer_fired.set()


def _udp_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    s.bind(("127.0.0.1", 0))
    return s


def _medium(sock: socket.socket, dest: tuple[str, int], iface: str = "lo") -> MediumSocket:
    return MediumSocket(Ucast(iface, dest[0], dest[1]), sock, dest)


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    made: list[socket.socket] = []
    yield made
    for s in made:
        s.close()


def _pair(made: list[socket.socket]) -> tuple[socket.socket, socket.socket]:
    a, b = _udp_socket(), _udp_socket()
    made += [a, b]
    return a, b


def _port(s: socket.socket) -> int:
    return int(s.getsockname()[1])


@pytest.mark.asyncio
async def test_received_datagram_is_fed_with_interface_name_then_output_flushed_and_timer_armed(
    sockets: list[socket.socket],
) -> None:
    """A datagram reaches the engine as (data, iface, addr), then sends, events, timer follow."""
    a_sock, b_sock = _pair(sockets)
    engine_a, engine_b = FakeEngine(), FakeEngine()
    ta = await Transport.open(
        engine_a, [_medium(a_sock, ("127.0.0.1", _port(b_sock)))], on_events=lambda: None
    )
    tb = await Transport.open(
        engine_b,
        [_medium(b_sock, ("127.0.0.1", _port(a_sock)), iface="hbX")],
        on_events=lambda: engine_b.calls.append("events"),
    )
    try:
        engine_b.calls.clear()
        engine_b.deadline = asyncio.get_running_loop().time() + 30
        engine_a.outbox.append(b"hello")
        ta.kick()
        await asyncio.wait_for(engine_b.got_datagram.wait(), 5)
        assert engine_b.received == [(b"hello", "hbX", ("127.0.0.1", _port(a_sock)))]
        assert engine_b.calls == ["receive", "send", "events", "get_timer"]
        assert tb.timer_deadline == engine_b.deadline
    finally:
        ta.close()
        tb.close()


@pytest.mark.asyncio
async def test_each_outgoing_datagram_is_sent_on_every_medium(
    sockets: list[socket.socket],
) -> None:
    """Two media to one receiver: every datagram arrives twice, once per medium, in order."""
    m1, m2, sink = _udp_socket(), _udp_socket(), _udp_socket()
    sockets += [m1, m2, sink]
    dest = ("127.0.0.1", _port(sink))
    engine = FakeEngine()
    t = await Transport.open(engine, [_medium(m1, dest), _medium(m2, dest)], on_events=lambda: None)
    try:
        engine.outbox += [b"one", b"two"]
        t.kick()
        loop = asyncio.get_running_loop()
        got = [await asyncio.wait_for(loop.sock_recvfrom(sink, 1000), 5) for _ in range(4)]
        assert sorted((d, a[1]) for d, a in got) == sorted(
            [(b"one", _port(m1)), (b"two", _port(m1)), (b"one", _port(m2)), (b"two", _port(m2))]
        )
        assert [s.sent for s in t.stats()] == [2, 2]
    finally:
        t.close()


@pytest.mark.asyncio
async def test_only_the_latest_deadline_fires_and_never_before_it(
    sockets: list[socket.socket],
) -> None:
    """Re-arming replaces the one timer: an earlier, superseded deadline never fires."""
    (sock, peer) = _pair(sockets)
    engine = FakeEngine()
    engine.on_timer = lambda now: setattr(engine, "deadline", None)
    t = await Transport.open(engine, [_medium(sock, peer.getsockname())], on_events=lambda: None)
    try:
        loop = asyncio.get_running_loop()
        engine.deadline = loop.time() + 0.01
        t.kick()
        engine.deadline = loop.time() + 0.08
        t.kick()
        later = engine.deadline
        await asyncio.wait_for(engine.timer_fired.wait(), 5)
        await asyncio.sleep(0.1)
        assert len(engine.timer_nows) == 1
        assert engine.timer_nows[0].mono >= later
        # asyncio may run a timer up to its clock resolution early, never more.
        assert engine.timer_fired_at[0] >= later - 0.001
    finally:
        t.close()


@pytest.mark.asyncio
async def test_timer_output_is_flushed_and_the_next_deadline_armed(
    sockets: list[socket.socket],
) -> None:
    """Datagrams queued by handle_timer go out at once; the timer is re-armed from get_timer."""
    sock, sink = _pair(sockets)
    engine = FakeEngine()
    loop = asyncio.get_running_loop()
    next_deadline = loop.time() + 60

    def on_timer(now: Instant) -> None:
        engine.outbox.append(b"keepalive")
        engine.deadline = next_deadline

    engine.on_timer = on_timer
    engine.deadline = loop.time()  # already due
    t = await Transport.open(engine, [_medium(sock, sink.getsockname())], on_events=lambda: None)
    try:
        data, _ = await asyncio.wait_for(loop.sock_recvfrom(sink, 1000), 5)
        assert data == b"keepalive"
        assert t.timer_deadline == next_deadline
        assert engine.calls[-3:] == ["timer", "send", "get_timer"]
    finally:
        t.close()


@pytest.mark.asyncio
async def test_no_deadline_means_no_timer(sockets: list[socket.socket]) -> None:
    """When get_timer() returns None nothing is armed, and a later deadline arms it."""
    sock, peer = _pair(sockets)
    engine = FakeEngine()
    t = await Transport.open(engine, [_medium(sock, peer.getsockname())], on_events=lambda: None)
    try:
        assert t.timer_deadline is None
        engine.deadline = asyncio.get_running_loop().time() + 100
        t.kick()
        assert t.timer_deadline == engine.deadline
    finally:
        t.close()


@pytest.mark.asyncio
async def test_kick_from_on_events_is_serviced_in_the_same_pass(
    sockets: list[socket.socket],
) -> None:
    """A kick() made while draining events flushes again instead of recursing."""
    sock, sink = _pair(sockets)
    engine = FakeEngine()
    holder: list[Transport] = []
    rounds = 0

    def on_events() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 2:  # the first kick after open: the daemon feeds a script result
            engine.outbox.append(b"resource")
            holder[0].kick()

    t = await Transport.open(engine, [_medium(sock, sink.getsockname())], on_events=on_events)
    holder.append(t)
    try:
        engine.calls.clear()
        t.kick()
        assert engine.calls == ["send", "send", "get_timer"]
        data, _ = await asyncio.wait_for(asyncio.get_running_loop().sock_recvfrom(sink, 100), 5)
        assert data == b"resource"
        assert rounds == 3
    finally:
        t.close()


@pytest.mark.asyncio
async def test_engine_exception_is_reported_and_the_medium_keeps_receiving(
    sockets: list[socket.socket],
) -> None:
    """A bug in the engine goes to on_error; the socket stays open for the next datagram."""
    sock, peer = _pair(sockets)
    engine = FakeEngine()
    errors: list[Exception] = []

    def on_receive(data: bytes) -> None:
        if data == b"boom":
            raise RuntimeError("engine bug")

    engine.on_receive = on_receive
    t = await Transport.open(
        engine, [_medium(sock, peer.getsockname())], on_events=lambda: None, on_error=errors.append
    )
    try:
        peer.sendto(b"boom", sock.getsockname())
        await asyncio.wait_for(engine.got_datagram.wait(), 5)
        engine.got_datagram.clear()
        peer.sendto(b"fine", sock.getsockname())
        await asyncio.wait_for(engine.got_datagram.wait(), 5)
        assert [d for d, _, _ in engine.received] == [b"boom", b"fine"]
        assert [str(e) for e in errors] == ["engine bug"]
    finally:
        t.close()


@pytest.mark.asyncio
async def test_send_errors_are_counted_and_logged_once_per_burst(
    sockets: list[socket.socket], caplog: pytest.LogCaptureFixture
) -> None:
    """Broadcasting without SO_BROADCAST fails each time: counted, one warning, no raise."""
    sock, _ = _pair(sockets)
    engine = FakeEngine()
    medium = MediumSocket(Ucast("hbX", "255.255.255.255", 9), sock, ("255.255.255.255", 9))
    t = await Transport.open(engine, [medium], on_events=lambda: None)
    try:
        with caplog.at_level(logging.DEBUG, logger="pyhb.net.transport"):
            for _ in range(3):
                engine.outbox.append(b"x")
                t.kick()
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "Is a cable unplugged on ucast hbX 255.255.255.255?" in warnings[0].getMessage()
        (stats,) = t.stats()
        assert (stats.send_errors, stats.failing, stats.sent) == (3, 3, 0)
    finally:
        t.close()


@pytest.mark.asyncio
async def test_close_cancels_the_timer_and_closes_the_sockets(
    sockets: list[socket.socket],
) -> None:
    """After close() the timer never fires and the medium socket is closed."""
    sock, peer = _pair(sockets)
    engine = FakeEngine()
    engine.deadline = asyncio.get_running_loop().time() + 0.01
    t = await Transport.open(engine, [_medium(sock, peer.getsockname())], on_events=lambda: None)
    t.close()
    t.close()
    await asyncio.sleep(0.05)
    assert engine.timer_nows == []
    assert t.timer_deadline is None
    assert sock.fileno() == -1


@pytest.mark.asyncio
async def test_queued_datagrams_are_read_in_one_wake_up_then_serviced_once(
    sockets: list[socket.socket],
) -> None:
    """Three datagrams already queued: three receives, then one flush/events/timer pass."""
    sock, peer = _pair(sockets)
    engine = FakeEngine()
    t = await Transport.open(
        engine,
        [_medium(sock, peer.getsockname())],
        on_events=lambda: engine.calls.append("events"),
    )
    try:
        engine.calls.clear()
        for data in (b"one", b"two", b"three"):
            peer.sendto(data, sock.getsockname())
        await asyncio.wait_for(engine.got_datagram.wait(), 5)
        assert [d for d, _, _ in engine.received] == [b"one", b"two", b"three"]
        assert engine.calls == ["receive"] * 3 + ["send", "events", "get_timer"]
    finally:
        t.close()


@pytest.mark.asyncio
async def test_a_datagram_dropped_untouched_is_not_followed_by_a_service_pass(
    sockets: list[socket.socket],
) -> None:
    """receive_datagram() returning False: no flush, no events, no timer re-arm."""
    sock, peer = _pair(sockets)
    engine = FakeEngine()
    engine.unchanged.add(b"not for us")
    t = await Transport.open(
        engine,
        [_medium(sock, peer.getsockname())],
        on_events=lambda: engine.calls.append("events"),
    )
    try:
        engine.calls.clear()
        peer.sendto(b"not for us", sock.getsockname())
        await asyncio.wait_for(engine.got_datagram.wait(), 5)
        await asyncio.sleep(0.02)
        assert engine.calls == ["receive"]
        engine.got_datagram.clear()
        peer.sendto(b"status", sock.getsockname())
        await asyncio.wait_for(engine.got_datagram.wait(), 5)
        assert engine.calls == ["receive", "receive", "send", "events", "get_timer"]
    finally:
        t.close()


@pytest.mark.asyncio
async def test_own_datagram_coming_back_is_read_in_the_pass_that_sent_it(
    sockets: list[socket.socket],
) -> None:
    """A medium whose datagrams come back to its own socket (as a broadcast does): the
    copy is fed to the engine before kick() returns, then serviced in the same pass."""
    sock = _udp_socket()
    sockets.append(sock)
    engine = FakeEngine()
    t = await Transport.open(
        engine,
        [_medium(sock, sock.getsockname())],
        on_events=lambda: engine.calls.append("events"),
    )
    try:
        engine.calls.clear()
        engine.outbox.append(b"my status")
        t.kick()
        assert [d for d, _, _ in engine.received] == [b"my status"]
        assert engine.calls == ["send", "receive", "events", "send", "events", "get_timer"]
    finally:
        t.close()


@pytest.mark.asyncio
async def test_a_flood_is_read_in_batches_and_every_datagram_arrives(
    sockets: list[socket.socket],
) -> None:
    """More datagrams than one wake-up reads: the loop gets a turn, none is lost."""
    sock, peer = _pair(sockets)
    engine = FakeEngine()
    passes = 0

    def on_events() -> None:
        nonlocal passes
        passes += 1

    t = await Transport.open(engine, [_medium(sock, peer.getsockname())], on_events=on_events)
    try:
        passes = 0
        count = 3 * MAX_BATCH // 2
        for i in range(count):
            peer.sendto(b"%d" % i, sock.getsockname())
        await until_received(engine, count)
        assert [d for d, _, _ in engine.received] == [b"%d" % i for i in range(count)]
        assert passes >= 2  # more if a wake-up ran out of READ_BUDGET first
    finally:
        t.close()


async def until_received(engine: FakeEngine, count: int) -> None:
    for _ in range(500):
        if len(engine.received) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(engine.received)} of {count} datagrams arrived")


def _split_medium(made: list[socket.socket]) -> tuple[MediumSocket, socket.socket, socket.socket]:
    """A medium with a twin (both stamped with arrival times, as net.split sets them up),
    and a peer socket to send from."""
    main, twin, peer = _udp_socket(), _udp_socket(), _udp_socket()
    made += [main, twin, peer]
    for s in (main, twin):
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    _until_stamped_on_arrival(twin, peer)
    ms = MediumSocket(Ucast("lo", "127.0.0.1", _port(peer)), main, peer.getsockname(), lazy=twin)
    return ms, twin, peer


def _until_stamped_on_arrival(sock: socket.socket, peer: socket.socket) -> None:
    """Wait until the kernel dates datagrams when they arrive, not when they are read.

    The first socket on a host to ask for SO_TIMESTAMPNS switches stamping on through a
    deferred kernel work item; until it runs, a datagram is stamped when it is read. On a
    busy machine that can take longer than a test's sleep, so probe until a datagram
    that waited 20 ms says so."""
    sock.setblocking(True)
    try:
        for _ in range(100):
            peer.sendto(b"probe", sock.getsockname())
            time.sleep(0.02)
            read_at = time.time()
            _data, ancillary, _flags, _addr = sock.recvmsg(64, 64)
            for _level, _kind, value in ancillary:
                sec, nsec = struct.unpack("qq", value[:16])
                if read_at - (sec + nsec / 1e9) >= 0.015:
                    return
        raise AssertionError("the kernel never stamped a datagram on arrival")
    finally:
        sock.setblocking(False)


async def _idle_split(
    made: list[socket.socket],
) -> tuple[Transport, FakeEngine, MediumSocket, socket.socket, socket.socket]:
    """A transport over one split medium (see ``_split_medium``), its timer armed 30 s
    ahead: (transport, engine, medium, twin, peer)."""
    ms, twin, peer = _split_medium(made)
    engine = FakeEngine()
    t = await Transport.open(engine, [ms], on_events=lambda: None)
    engine.deadline = asyncio.get_running_loop().time() + 30
    t.kick()
    return t, engine, ms, twin, peer


@pytest.mark.asyncio
async def test_a_twin_is_read_at_the_timer_with_each_datagram_dated_by_its_arrival(
    sockets: list[socket.socket],
) -> None:
    """A datagram on the twin wakes nobody; the next timer reads it first, with the loop
    time it arrived at, before handle_timer."""
    ms, twin, peer = _split_medium(sockets)
    engine = FakeEngine()
    loop = asyncio.get_running_loop()
    t = await Transport.open(engine, [ms], on_events=lambda: None)
    try:
        sent_at = loop.time()
        peer.sendto(b"steady", twin.getsockname())
        await asyncio.sleep(0.15)
        assert engine.received == []  # nothing woke up for it
        engine.calls.clear()
        engine.deadline = loop.time()
        t.kick()
        await asyncio.wait_for(engine.timer_fired.wait(), 5)
        assert [d for d, _, _ in engine.received] == [b"steady"]
        assert engine.calls.index("receive") + 1 == engine.calls.index("timer")
        arrived = engine.arrived[0]
        assert arrived is not None
        assert sent_at - 0.01 <= arrived <= sent_at + 0.05
        assert engine.timer_nows[0].mono - arrived >= 0.1
    finally:
        t.close()
    assert twin.fileno() == -1


@pytest.mark.asyncio
async def test_a_wake_up_on_the_main_socket_reads_both_in_arrival_order(
    sockets: list[socket.socket],
) -> None:
    """Twin, main, twin: fed in the order they arrived, the main one undated."""
    t, engine, ms, twin, peer = await _idle_split(sockets)
    try:
        t._loop.remove_reader(ms.sock.fileno())  # hold the wake-up until all three are in
        peer.sendto(b"first", twin.getsockname())
        await asyncio.sleep(0.01)
        peer.sendto(b"second", ms.sock.getsockname())
        await asyncio.sleep(0.01)
        peer.sendto(b"third", twin.getsockname())
        await asyncio.sleep(0.01)
        t._on_readable(t._media[0])
        assert [d for d, _, _ in engine.received] == [b"first", b"second", b"third"]
        assert [a is None for a in engine.arrived] == [False, True, False]
    finally:
        t.close()


@pytest.mark.asyncio
async def test_the_twin_is_watched_while_the_engine_wants_statuses_at_once(
    sockets: list[socket.socket],
) -> None:
    """statuses_wanted() (a peer is dead): a datagram on the twin wakes the transport;
    once it is no longer wanted, the twin waits for the timer again."""
    ms, twin, peer = _split_medium(sockets)
    engine = FakeEngine()
    engine.wanted = True
    engine.deadline = asyncio.get_running_loop().time() + 30
    t = await Transport.open(engine, [ms], on_events=lambda: None)
    try:
        peer.sendto(b"back again", twin.getsockname())
        await asyncio.wait_for(engine.got_datagram.wait(), 5)
        assert [d for d, _, _ in engine.received] == [b"back again"]
        engine.wanted = False
        t.kick()
        engine.got_datagram.clear()
        peer.sendto(b"steady", twin.getsockname())
        await asyncio.sleep(0.15)
        assert not engine.got_datagram.is_set()
    finally:
        t.close()
    assert twin.fileno() == -1


class _CountingSocket:
    """A socket whose ``recvmsg`` calls are counted (the transport reads split media
    through ``recvmsg``)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.reads = 0
        self.empty_reads = 0

    def recvmsg(self, size: int, ancsize: int) -> object:
        self.reads += 1
        try:
            return self._sock.recvmsg(size, ancsize)
        except BlockingIOError:
            self.empty_reads += 1
            raise

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


@pytest.mark.asyncio
async def test_split_media_are_read_without_a_failed_read_per_empty_socket(
    sockets: list[socket.socket],
) -> None:
    """At the timer, two datagrams on the twin and none on the main socket cost two
    reads: which sockets hold something is asked of ``poll``, not found out by a read
    that fails."""
    ms, twin, peer = _split_medium(sockets)
    main = _CountingSocket(ms.sock)
    counted_twin = _CountingSocket(twin)
    ms = MediumSocket(ms.medium, main, ms.destination, lazy=counted_twin)  # type: ignore[arg-type]
    engine = FakeEngine()
    loop = asyncio.get_running_loop()
    t = await Transport.open(engine, [ms], on_events=lambda: None)
    try:
        peer.sendto(b"one", twin.getsockname())
        peer.sendto(b"two", twin.getsockname())
        await asyncio.sleep(0.05)
        engine.deadline = loop.time()
        t.kick()
        await asyncio.wait_for(engine.timer_fired.wait(), 5)
        assert [d for d, _, _ in engine.received] == [b"one", b"two"]
        assert (counted_twin.reads, counted_twin.empty_reads) == (2, 0)
        assert (main.reads, main.empty_reads) == (0, 0)
    finally:
        t.close()


@pytest.mark.asyncio
async def test_a_flood_on_split_media_is_read_in_rounds_and_every_datagram_arrives(
    sockets: list[socket.socket],
) -> None:
    """More datagrams on both sockets than one wake-up reads: none is lost, and each
    socket's come in the order they arrived (between sockets, the order holds within
    a pass)."""
    t, engine, ms, twin, peer = await _idle_split(sockets)
    try:
        count = 3 * MAX_BATCH
        for i in range(count):
            peer.sendto(b"%d" % i, (twin if i % 3 else ms.sock).getsockname())
        await until_received(engine, count // 3)  # the main socket's share wakes us
        engine.deadline = asyncio.get_running_loop().time()
        t.kick()
        await until_received(engine, count)
        got = [int(d) for d, _, _ in engine.received]
        assert sorted(got) == list(range(count))
        on_main = [i for i in got if i % 3 == 0]
        on_twin = [i for i in got if i % 3]
        assert on_main == sorted(on_main)
        assert on_twin == sorted(on_twin)
    finally:
        t.close()
