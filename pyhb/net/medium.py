"""One medium socket as the transport drives it: its sends and their counters.

``Medium`` sends with plain non-blocking ``sendto`` calls (``net.transport`` explains
why a datagram that cannot go out at once is dropped) and reports the first failed write
of a run at WARNING, the rest at DEBUG; ``MediumStats`` are its counters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyhb.net.sockets import MediumSocket

log = logging.getLogger("pyhb.net.transport")


@dataclass(slots=True)
class MediumStats:
    """Counters of one medium since the transport started."""

    name: str
    description: str
    received: int = 0
    sent: int = 0
    send_errors: int = 0
    failing: int = 0  # consecutive send errors; 0 while sending works


class Medium:
    """One medium socket registered with the loop: its reads, sends and counters."""

    __slots__ = ("ms", "sock", "lazy", "fd", "name", "destination", "stats", "open")

    def __init__(self, ms: MediumSocket) -> None:
        self.ms = ms
        self.sock = ms.sock
        self.lazy = ms.lazy
        self.fd = ms.sock.fileno()
        self.name = ms.name
        self.destination = ms.destination
        self.stats = MediumStats(name=ms.name, description=ms.description)
        self.open = True

    def send(self, data: bytes) -> None:
        if not self.open:
            return
        try:
            self.sock.sendto(data, self.destination)
        except OSError as exc:
            self.failed(exc)
            return
        stats = self.stats
        stats.sent += 1
        if stats.failing:
            log.info(
                "%s: sending works again after %d failed writes",
                self.ms.description,
                stats.failing,
            )
            stats.failing = 0

    def failed(self, exc: OSError) -> None:
        """A write failed, or the kernel reported an error for one (ICMP) on a read."""
        stats = self.stats
        stats.send_errors += 1
        stats.failing += 1
        if stats.failing == 1:
            desc = self.ms.description
            log.warning("Write failure on %s: %s. Is a cable unplugged on %s?", desc, exc, desc)
        else:
            log.debug("write failure %d on %s: %s", stats.failing, self.ms.description, exc)
