"""The asyncio glue between the medium sockets and the sans-I/O engine.

Owns: a reader callback per medium socket (``loop.add_reader``), the single
``loop.call_at`` timer handle, and sending the engine's datagrams on every medium. Reads
the clock once per callback (``mono`` = ``loop.time()``, ``wall`` = ``time.time()``).
Must not import ``pyhb.daemon`` or anything that parses or builds messages.

A readable socket is drained: every datagram queued on it goes to the engine before
anything else happens, up to ``MAX_BATCH`` datagrams and ``READ_BUDGET`` seconds of
reading and feeding per wake-up, so a flooded medium cannot starve the loop, its timer
(our own heartbeats, deadtime) or the other media (docs/reliability.md, floods). Then,
if any of them changed the engine's state (``receive_datagram`` returns False for one
it dropped untouched: our own looped-back broadcast, another node's acknowledgement, a
bad packet only counted), and after the timer or ``kick()`` (the daemon fed the engine
a command or a script result), the transport, in this order: sends every datagram from
``engine.datagrams_to_send(now)`` on every medium, calls ``on_events()`` so the daemon
can drain engine events, and re-arms the one timer at ``engine.get_timer()``.
Inputs arriving while this runs (``kick()`` from ``on_events``) are serviced in the same
pass. After sending, the sockets are read once more in the same pass: a broadcast or
looped-back multicast is queued on our own socket by the time ``sendto`` returns, and
reading it now saves the process a wake-up per heartbeat.

Split media (``net.split``: a medium with a ``lazy`` twin socket): the twin is watched
only while ``engine.statuses_wanted()`` says so (a peer is dead: one that speaks again
must be noticed at once). Otherwise it is read when the timer fires, before
``handle_timer``, and whenever a main socket wakes the loop. Every socket is then read
(``net.split.gather``: one ``poll`` over all of them per round, one datagram from each
readable one, until none is: no failed ``recvmsg`` per empty socket), and the datagrams
go to the engine in the order the kernel stamped them on arrival (``SO_TIMESTAMPNS``), a
twin's with its arrival time on the loop's clock (``arrived``; ``core.splitmedia``).
Our own steady status goes to the twin, so nothing is read back after sending.
A twin flooded with datagrams that look like steady statuses (more than one wake-up
reads, queued or since the last timer) is read every ``FLOOD_TICK`` instead, up to
``FLOOD_BATCH`` rounds and ``READ_BUDGET`` each time, until a timer finds it calm again.
Read at keepalive pace, its buffer would stay full of junk and the kernel would drop
whatever came next, genuine or not; read as they come, every datagram would cost a
wake-up. So a flood costs at most READ_BUDGET / FLOOD_TICK of a CPU, and the genuine
statuses among it are lost only when the junk outruns that (docs/reliability.md).

Sends are plain non-blocking ``sendto`` calls: a datagram that cannot go out at once
(an error, or a full socket buffer) is counted and dropped, never queued; heartbeats
are periodic and the retransmission protocol covers the rest.
"""

from __future__ import annotations

import asyncio
import logging
import operator
import select
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from pyhb.clock import Instant
from pyhb.net.medium import Medium, MediumStats
from pyhb.net.sockets import MediumSocket
from pyhb.net.split import Source, gather

log = logging.getLogger(__name__)


class Engine(Protocol):
    """What the transport needs from the engine (``pyhb.core.engine`` satisfies it)."""

    def receive_datagram(
        self,
        data: bytes,
        medium: str,
        addr: tuple[str, int],
        now: Instant,
        arrived: float | None = None,
    ) -> bool:
        """False if the datagram was dropped without changing anything. ``arrived``:
        when it reached the host (loop time), for one read later than that."""
        ...

    def datagrams_to_send(self, now: Instant) -> list[bytes]: ...

    def get_timer(self) -> float | None: ...

    def statuses_wanted(self) -> bool:
        """True while steady statuses must be read as they come (split media)."""
        ...

    def handle_timer(self, now: Instant) -> None: ...


MAX_BATCH = 64  # datagrams read from one socket per wake-up
FLOOD_TICK = 0.01  # a flooded twin is read this often (seconds) ...
FLOOD_BATCH = 4096  # ... this many rounds at most, within READ_BUDGET,
FLOOD_BURST = 16  # ... of this many datagrams from each readable socket
READ_BUDGET = 0.005  # seconds of reading and feeding the engine per wake-up
_arrival = operator.itemgetter(0)


class Transport:
    """Feeds one engine from all medium sockets and drives its single timer.

    Build with ``await Transport.open(...)``; call ``kick()`` after feeding the engine
    from outside (commands, script results) and ``close()`` at shutdown.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        on_events: Callable[[], None],
        on_error: Callable[[Exception], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._on_events = on_events
        self._on_error = on_error
        self._wall_clock = wall_clock
        self._loop = asyncio.get_running_loop()
        self._media: list[Medium] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._split = False  # some medium has a twin: read every socket, in arrival order
        # Split media: every socket, main and twin, by file descriptor, and a poll set of
        # them all, so that reading them all costs one ``poll`` per round rather than a
        # failed ``recvmsg`` per socket.
        self._sources: dict[int, Source] = {}
        self._poller = select.poll()
        self._watching = False  # the twins are watched too (engine.statuses_wanted)
        # A twin held more than one wake-up reads (``_backlog``), or more than that came
        # since the last timer (``_twin_reads``): read it every FLOOD_TICK until a timer
        # finds neither.
        self._flooded = False
        self._flood_timer: asyncio.TimerHandle | None = None
        self._backlog = False
        self._twin_reads = 0
        self._cost = 0.0  # seconds the engine took per datagram in the last batch fed
        self._read_at = self._loop.time()
        self._busy = False
        self._again = False
        self._closed = False

    @classmethod
    async def open(
        cls,
        engine: Engine,
        media: Sequence[MediumSocket],
        *,
        on_events: Callable[[], None],
        on_error: Callable[[Exception], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> Transport:
        """Attach every medium socket to the running loop and arm the engine's timer."""
        self = cls(engine, on_events=on_events, on_error=on_error, wall_clock=wall_clock)
        try:
            for ms in media:
                ms.sock.setblocking(False)
                if ms.lazy is not None:
                    ms.lazy.setblocking(False)
                    self._split = True
                medium = Medium(ms)
                self._loop.add_reader(medium.fd, self._on_readable, medium)
                self._media.append(medium)
                self._sources[medium.fd] = (medium, ms.sock, False)
                if ms.lazy is not None:
                    self._sources[ms.lazy.fileno()] = (medium, ms.lazy, True)
            for fd in self._sources:
                self._poller.register(fd, select.POLLIN)
        except BaseException:
            self.close()
            raise
        self.kick()
        return self

    def now(self) -> Instant:
        """One reading of both clocks (``mono`` on the loop's clock)."""
        return Instant(self._loop.time(), self._wall_clock())

    def kick(self) -> None:
        """Flush the engine's output and re-arm its timer after it was fed from outside."""
        if self._closed:
            return
        self._service(self.now())

    def stats(self) -> list[MediumStats]:
        """A copy of every medium's counters, in media order."""
        return [
            MediumStats(s.name, s.description, s.received, s.sent, s.send_errors, s.failing)
            for s in (m.stats for m in self._media)
        ]

    @property
    def timer_deadline(self) -> float | None:
        """The loop time the one timer is armed for, or None."""
        return self._timer_at

    def close(self) -> None:
        """Cancel the timer and close every medium socket; idempotent."""
        self._closed = True
        if self._flood_timer is not None:
            self._flood_timer.cancel()
            self._flood_timer = None
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None
        for m in self._media:
            if m.open:
                m.open = False
                self._loop.remove_reader(m.fd)
                m.sock.close()
                if m.lazy is not None:
                    if self._watching:
                        self._loop.remove_reader(m.lazy.fileno())
                    m.lazy.close()
        self._media.clear()
        self._sources.clear()
        self._poller = select.poll()

    # --- inputs -------------------------------------------------------------------

    def _on_readable(self, medium: Medium) -> None:
        if self._closed:
            return
        now = self.now()
        if self._read_all(now) if self._split else self._read(medium, now):
            self._service(now)

    def _read(self, medium: Medium, now: Instant) -> bool:
        """Feed the engine what is queued on ``medium``; True if any of it changed state."""
        changed = False
        sock, engine, name, stats = medium.sock, self._engine, medium.name, medium.stats
        clock = time.monotonic
        end = clock() + READ_BUDGET
        for _ in range(MAX_BATCH):
            if not medium.open or clock() > end:
                break
            try:
                data, addr = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                medium.failed(exc)
                break
            stats.received += 1
            try:
                if engine.receive_datagram(data, name, addr, now):  # AF_INET: (str, int)
                    changed = True
            except Exception as exc:
                self._report(exc)
                changed = True
        return changed

    def _read_all(self, now: Instant) -> bool:
        """Split media: feed the engine what is queued on every socket, in arrival order.

        A twin's datagrams (steady statuses) carry their arrival time, converted to the
        loop's clock and kept between the previous read and now (the wall clock may have
        been stepped in between). True if any of them changed the engine's state.
        """
        wall_ns = int(now.wall * 1e9)
        rounds, burst = (FLOOD_BATCH, FLOOD_BURST) if self._flooded else (MAX_BATCH, 1)
        batch, flooded = gather(
            self._sources, self._poller.poll, wall_ns,
            rounds=rounds, burst=burst, budget=READ_BUDGET, cost=self._cost,
        )  # fmt: skip
        if flooded:  # a twin still readable after a full read: read it every FLOOD_TICK
            self._flooded = self._backlog = True
        floor, self._read_at = self._read_at, now.mono
        if len(batch) > 1:
            batch.sort(key=_arrival)
        engine, changed = self._engine, False
        fed_at = time.monotonic()
        for stamp, data, addr, m, lazy in batch:
            m.stats.received += 1
            try:
                if lazy:
                    self._twin_reads += 1
                    age = (wall_ns - stamp) / 1e9
                    arrived = min(now.mono, max(floor, now.mono - age))
                    fed = engine.receive_datagram(data, m.name, addr, now, arrived)
                else:
                    fed = engine.receive_datagram(data, m.name, addr, now)
            except Exception as exc:
                self._report(exc)
                fed = True
            changed = changed or fed
        if batch:
            self._cost = (time.monotonic() - fed_at) / len(batch)
        return changed

    def _on_timer(self) -> None:
        deadline = self._timer_at
        self._timer = None
        self._timer_at = None
        if self._closed:
            return
        mono = self._loop.time()
        wall = self._wall_clock()
        if deadline is not None and deadline > mono:
            # asyncio may fire up to one clock resolution early; the engine must see
            # its deadline reached.
            wall += deadline - mono
            mono = deadline
        now = Instant(mono, wall)
        if self._split:
            self._backlog = False
            self._read_all(now)  # the steady statuses since the last read, first
            self._flooded = self._backlog or self._twin_reads > MAX_BATCH
            self._twin_reads = 0
        try:
            self._engine.handle_timer(now)
        except Exception as exc:
            self._report(exc)
        self._service(now)

    # --- output -------------------------------------------------------------------

    def _service(self, now: Instant) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True
        try:
            read_back = True
            while True:
                self._again = False
                if self._flush(now) and read_back and not self._split:
                    # What we just broadcast is already queued on our own socket (and
                    # maybe a peer's answer): take it in this pass, not on a wake-up.
                    # (Split media: our steady status goes to the twin, which wakes
                    # nobody, and is read at the next timer.)
                    read_back = False
                    later = self.now()
                    for m in self._media:
                        if self._read(m, later):
                            self._again = True
                try:
                    self._on_events()
                except Exception as exc:
                    self._report(exc)
                if not self._again or self._closed:
                    break
            self._arm_timer()
            if self._split:
                self._watch_twins()
        finally:
            self._busy = False

    def _flush(self, now: Instant) -> bool:
        """Send the engine's queued datagrams on every medium; True if there were any."""
        try:
            datagrams = self._engine.datagrams_to_send(now)
        except Exception as exc:
            self._report(exc)
            return False
        for data in datagrams:
            for m in self._media:
                m.send(data)
        return bool(datagrams)

    def _arm_timer(self) -> None:
        if self._closed:
            return
        try:
            deadline = self._engine.get_timer()
        except Exception as exc:
            self._report(exc)
            deadline = None
        if deadline == self._timer_at and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            # A deadline already past runs at the loop's next pass, as asyncio does.
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _watch_twins(self) -> None:
        """Watch the twins while the engine wants statuses as they come, else not."""
        if self._flooded and self._flood_timer is None and not self._closed:
            self._flood_timer = self._loop.call_later(FLOOD_TICK, self._on_flood_tick)
        elif not self._flooded and self._flood_timer is not None:
            self._flood_timer.cancel()
            self._flood_timer = None
        try:
            # Flooded: the flood tick reads the twins often enough for a returning peer.
            want = self._engine.statuses_wanted() and not self._flooded
        except Exception as exc:
            self._report(exc)
            want = True
        if want == self._watching or self._closed:
            return
        self._watching = want
        for m in self._media:
            if m.lazy is not None and m.open:
                if want:
                    self._loop.add_reader(m.lazy.fileno(), self._on_readable, m)
                else:
                    self._loop.remove_reader(m.lazy.fileno())

    def _on_flood_tick(self) -> None:
        self._flood_timer = None
        if self._closed:
            return
        now = self.now()
        if self._read_all(now):
            self._service(now)
        else:
            self._watch_twins()  # schedules the next tick while still flooded

    def _report(self, exc: Exception) -> None:
        if self._on_error is not None:
            self._on_error(exc)
        else:
            log.exception("unexpected error while driving the engine", exc_info=exc)
