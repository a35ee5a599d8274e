"""The engine's side of split media: peers' steady statuses read at our own timer.

What it buys: in a settled cluster nearly every datagram is a peer's ``st=active``
status; reading each as it arrives wakes the daemon once per peer per keepalive. With
split media (``net.split``, the adapter's side) those statuses wait on a twin socket
until our own timer, which fires at least once a keepalive to send our status, so an
idle node wakes about once a keepalive whatever the size of the cluster.

What the engine must know for it, and all it knows, is here:

* ``lazy`` (given at construction): statuses may be read up to a keepalive after they
  came, so a quiet peer is probed a keepalive later than otherwise (``probe_after``);
* such a status comes with its arrival time, and liveness is dated by it
  (``heard_at``), not by the reading;
* ``wanted``: while a peer is dead the statuses are read as they come, so that one
  that speaks again (a healed partition, a link back up) is noticed at once;
* ``OwnStatusesKnown``: once every medium has carried one of our packets back, the shell
  is told what our steady statuses start with, so its twins need not read them.

Without split media (``lazy`` False, no arrival times) none of it changes anything.
Part of the engine; never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pyhb.core.events import Event, LinkStatus, NodeStatus, OwnStatusesKnown
from pyhb.core.peers import PROBE_AFTER, PeerTable


class SplitMedia:
    """Whether peers' steady statuses are read lazily, and what follows from it."""

    def __init__(
        self,
        lazy: bool,
        peers: PeerTable,
        own_links: Mapping[str, LinkStatus],
        own_head: Callable[[], bytes],
        emit: Callable[[Event], None],
    ) -> None:
        """``own_head()``: what our steady statuses start with; ``emit`` queues an event."""
        self.lazy = lazy
        # keepalives of silence before a quiet peer's next packets are asked for
        self.probe_after = PROBE_AFTER + lazy
        self._peers = peers
        self._own_links = own_links
        self._own_head = own_head
        self._emit = emit

    @staticmethod
    def heard_at(now: float, arrived: float | None) -> float:
        """When a datagram read at ``now`` reached the host (``arrived``, if it was read
        late: never after ``now``)."""
        return now if arrived is None else min(arrived, now)

    def wanted(self) -> bool:
        """Whether the shell must read peers' steady statuses as they arrive rather than
        at our own timer: while a peer is dead (``Engine.statuses_wanted``)."""
        for p in self._peers.peers.values():  # noqa: SIM110 (runs after every input: no generator)
            if p.status is NodeStatus.DEAD:
                return True
        return False

    def own_links_up(self) -> None:
        """Once every medium has carried one of our packets back (or our status changed its
        start): tell the shell what our steady statuses start with (``OwnStatusesKnown``)."""
        if all(s is LinkStatus.UP for s in self._own_links.values()):
            self._emit(OwnStatusesKnown(self._own_head()))
