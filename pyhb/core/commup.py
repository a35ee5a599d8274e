"""When our communication comes up (3.0.6's ``comm_now_up``).

Communication is up once every node was heard from or declared dead, the ping nodes
settled, and the reqnodes/repnodes exchange, if a live peer uses it (``protocol=1``:
3.0.6 peers insist on it), has completed: we ask the first such peer with ``reqnodes``
every ``REQNODES_PERIOD`` until it answers with ``repnodes`` (``core.handlers``), or
until no such peer is left alive. ``Engine.go_active`` then does what comes with it.

Part of the engine; never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

from collections.abc import Callable

from pyhb.core.events import NodeStatus
from pyhb.core.peers import PeerTable
from pyhb.core.pingnodes import PingTable

REQNODES_PERIOD = 1.0  # 3.0.6 re-sends reqnodes every second until answered

Send = Callable[..., int | None]


class CommUp:
    """The steps before our communication is up; ``reqnodes_due`` is its one deadline."""

    def __init__(
        self, peers: PeerTable, pings: PingTable, send: Send, go_active: Callable[[], None]
    ) -> None:
        self._peers = peers
        self._pings = pings
        self._send = send
        self._go_active = go_active
        self.reqnodes_due: float | None = None

    def check(self, t: float) -> None:
        """Our communication is not up yet: go on with what is due at ``t``."""
        if any(not p.heard and p.status is not NodeStatus.DEAD for p in self._peers):
            return
        if not self._pings.settled():
            return
        live = [p for p in self._peers.live() if p.protocol]
        if live and self.reqnodes_due is None:
            self.send_reqnodes(t, comm_up=False)
            return
        if not live:
            self._go_active()

    def send_reqnodes(self, t: float, *, comm_up: bool) -> None:
        """Ask a live peer for the node list again (or stop asking: nobody is left)."""
        live = [p for p in self._peers.live() if p.protocol]
        if comm_up or not live:
            self.reqnodes_due = None
            if not comm_up and not live:
                self._go_active()
            return
        self._send("reqnodes", [], dest=live[0].name)
        self.reqnodes_due = t + REQNODES_PERIOD
