"""STONITH before takeover: which dead peers must be reset before their groups are taken.

Heartbeat 3.0.6 (hb_resource.c) resets a node that died while it may have held
resources before taking them over, when a STONITH device is configured; without one it
warns ``No STONITH device configured.`` / ``Shared disks are not protected.`` and takes
over at once. A peer that shut down cleanly (``shutdone``) or was known to hold nothing
(``Dead node X gave up resources.``) is not reset. A node that comes up alone resets the
peers it never heard from, as 3.0.6 does at its first takeover.

``FenceGate`` keeps the peers whose reset is pending; while one is, ``Ownership`` takes
nothing over. The reset itself (and its retries) is the daemon's: it receives
``request(peer)`` (the engine's ``FencePeer`` event) and reports back with
``reset_done``; a peer heard from again needs no reset any more (``peer_back``).
Imports stdlib only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

Log = Callable[[int, str], None]


class FenceGate:
    """The resets pending before a takeover."""

    def __init__(self, log_line: Log) -> None:
        self._log = log_line
        self.enabled = False  # a STONITH device is configured for this node
        self.request: Callable[[str], None] | None = None
        self.pending: set[str] = set()

    @property
    def blocking(self) -> bool:
        """A dead peer's reset has not succeeded yet: take nothing over."""
        return bool(self.pending)

    def peer_lost(self, peer: str) -> None:
        """``peer`` died while it may have held groups: reset it before taking them."""
        if not self.enabled:
            self._log(logging.WARNING, "No STONITH device configured.")
            self._log(logging.WARNING, "Shared disks are not protected.")
            return
        if peer in self.pending:
            return
        self.pending.add(peer)
        self._log(logging.INFO, f"Resetting node {peer} (STONITH) before taking its resources.")
        if self.request is not None:
            self.request(peer)

    def reset_done(self, peer: str) -> bool:
        """The reset of ``peer`` succeeded; True if it was still wanted."""
        if peer not in self.pending:
            return False
        self.pending.discard(peer)
        self._log(logging.INFO, f"node {peer} now reset.")
        self._log(logging.INFO, f"Resources being acquired from {peer}.")
        return True

    def peer_back(self, peer: str) -> None:
        """``peer`` is heard from again: it is not dead, no reset is wanted."""
        if peer in self.pending:
            self.pending.discard(peer)
            self._log(logging.WARNING, f"node {peer} is back before its reset: reset abandoned")

    def wanted(self, peer: str) -> bool:
        return peer in self.pending
