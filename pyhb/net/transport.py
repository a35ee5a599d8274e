"""The asyncio glue between the medium sockets and the sans-I/O engine.

Owns: one ``asyncio.DatagramProtocol`` per medium socket, the single ``loop.call_at``
timer handle, and sending the engine's datagrams on every medium. Reads the clock once
per callback (``mono`` = ``loop.time()``, ``wall`` = ``time.time()``). Must not import
``pyhb.daemon`` or anything that parses or builds messages.

After every input (a datagram, the timer, or ``kick()`` after the daemon fed the engine
a command or a script result) the transport, in this order: sends every datagram from
``engine.datagrams_to_send(now)`` on every medium, calls ``on_events()`` so the daemon
can drain engine events, and re-arms the one timer at ``engine.get_timer()``.
Inputs arriving while this runs (``kick()`` from ``on_events``) are serviced in the same
pass.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from pyhb.clock import Instant
from pyhb.net.sockets import MediumSocket

log = logging.getLogger(__name__)


class Engine(Protocol):
    """What the transport needs from the engine (``pyhb.core.engine`` satisfies it)."""

    def receive_datagram(
        self, data: bytes, medium: str, addr: tuple[str, int], now: Instant
    ) -> None: ...

    def datagrams_to_send(self, now: Instant) -> list[bytes]: ...

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: Instant) -> None: ...


@dataclass(slots=True)
class MediumStats:
    """Counters of one medium since the transport started."""

    name: str
    description: str
    received: int = 0
    sent: int = 0
    send_errors: int = 0
    failing: int = 0  # consecutive send errors; 0 while sending works


class _MediumProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: Transport, ms: MediumSocket, stats: MediumStats) -> None:
        self.owner = owner
        self.ms = ms
        self.stats = stats
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        self.stats.received += 1
        self.owner._on_datagram(data, self.ms.name, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        # asyncio reports failed sendto() (and ICMP errors) here, never as an exception.
        self.stats.send_errors += 1
        self.stats.failing += 1
        if self.stats.failing == 1:
            log.warning(
                "Write failure on %s: %s. Is a cable unplugged on %s?",
                self.ms.description,
                exc,
                self.ms.description,
            )
        else:
            log.debug("write failure %d on %s: %s", self.stats.failing, self.ms.description, exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            log.error("%s: socket closed: %s", self.ms.description, exc)

    def send(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        errors_before = self.stats.send_errors
        transport.sendto(data, self.ms.destination)
        if self.stats.send_errors == errors_before:
            self.stats.sent += 1
            if self.stats.failing:
                log.info(
                    "%s: sending works again after %d failed writes",
                    self.ms.description,
                    self.stats.failing,
                )
                self.stats.failing = 0


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
        self._protocols: list[_MediumProtocol] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
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
                stats = MediumStats(name=ms.name, description=ms.description)
                proto = _MediumProtocol(self, ms, stats)
                await self._loop.create_datagram_endpoint(lambda: proto, sock=ms.sock)  # noqa: B023
                self._protocols.append(proto)
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
            for s in (p.stats for p in self._protocols)
        ]

    @property
    def timer_deadline(self) -> float | None:
        """The loop time the one timer is armed for, or None."""
        return self._timer_at

    def close(self) -> None:
        """Cancel the timer and close every medium socket; idempotent."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None
        for p in self._protocols:
            if p.transport is not None:
                p.transport.close()
        self._protocols.clear()

    # --- inputs -------------------------------------------------------------------

    def _on_datagram(self, data: bytes, medium: str, addr: tuple[str, int]) -> None:
        if self._closed:
            return
        now = self.now()
        self._call(lambda: self._engine.receive_datagram(data, medium, addr, now))
        self._service(now)

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
        self._call(lambda: self._engine.handle_timer(now))
        self._service(now)

    # --- output -------------------------------------------------------------------

    def _service(self, now: Instant) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True
        try:
            while True:
                self._again = False
                self._flush(now)
                self._call(self._on_events)
                if not self._again or self._closed:
                    break
            self._arm_timer()
        finally:
            self._busy = False

    def _flush(self, now: Instant) -> None:
        datagrams: list[bytes] = []
        self._call(lambda: datagrams.extend(self._engine.datagrams_to_send(now)))
        for data in datagrams:
            for p in self._protocols:
                p.send(data)

    def _arm_timer(self) -> None:
        if self._closed:
            return
        deadline: float | None = None

        def get() -> None:
            nonlocal deadline
            deadline = self._engine.get_timer()

        self._call(get)
        if deadline == self._timer_at and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = self._loop.call_at(max(deadline, self._loop.time()), self._on_timer)

    def _call(self, fn: Callable[[], object]) -> None:
        """Run engine/daemon code; a bug there must not kill a medium's socket."""
        try:
            fn()
        except Exception as exc:
            if self._on_error is not None:
                self._on_error(exc)
            else:
                log.exception("unexpected error while driving the engine")
