"""The graceful shutdown of ``Ownership``: release every group, then say ``shutdone``.

Rules (docs/ownership.md#negotiation-states):
- Asked while a group operation runs, the shutdown waits for it (SHUTDOWN_PENDING),
  then begins (SHUTTING_DOWN): a standby hand-over is called off, the node states
  ``rsc_hold=none`` (not in ``legacy`` mode) and stops every group it holds.
- Once all stopped, ``shutdone`` is sent (SHUT_DOWN) and the owner's ``on_down`` hook
  tells the engine the node may exit. This is the one place ``shutdone`` is sent; a node
  with nothing to release (communication not up, no groups) sends it at once.
- A group that would not stop cancels the shutdown: it stays here, the groups that did
  stop are started again, and the node is back where it was (STABLE or RESUMING). The
  peer must never start what may still run here.
- Asked again while shutting down, nothing more happens.

Imports stdlib, ``pyhb.config.model`` and the core's ``events`` and ``negotiation``
only (``ownership`` for types).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pyhb.config.model import AutoFailback
from pyhb.core.events import GroupAction
from pyhb.core.negotiation import Phase

if TYPE_CHECKING:
    from pyhb.core.ownership import Ownership

_LEAVING = (Phase.SHUTTING_DOWN, Phase.SHUT_DOWN)


def request(own: Ownership, now: float, *, at_once: bool) -> None:
    """A shutdown is asked for."""
    if own.phase in _LEAVING:
        return
    if at_once:
        _shut_down(own, "nothing to release")
        return
    if own.busy is not None:
        own.shutdown_from = own.phase
        own.set_phase(Phase.SHUTDOWN_PENDING, "an operation is running")
        own.log_line(logging.INFO, "Shutdown delayed until current resource activity finishes.")
        return
    begin(own, now)


def begin(own: Ownership, now: float) -> None:
    """No operation runs: release everything."""
    if own.phase is not Phase.SHUTDOWN_PENDING:
        own.shutdown_from = own.phase
    own.set_phase(Phase.SHUTTING_DOWN, "shutdown")
    own.standby.cancel(now)
    if own.mode is not AutoFailback.LEGACY:
        own.send(
            "resource",
            [("rsc_hold", "none"), ("rtype", "full"), ("isstable", "0"), ("info", "shutdown")],
            None,
        )
    own.log_line(logging.INFO, "Giving up all HA resources.")

    gave = frozenset(own.held)

    def retaken(_failed: frozenset[str]) -> None:
        own.statement()

    def released(failed: frozenset[str]) -> None:
        if failed:
            # The daemon reboots the node before this is reached (daemon.fence); a
            # shell without that hook must not say it let go: the peer would start
            # what may still run here. The groups that did stop are started again.
            own.log_line(
                logging.CRITICAL,
                f"Shutdown cancelled: {', '.join(sorted(failed))} could not be stopped "
                "and stays here; stop it by hand, then stop heartbeat again",
            )
            back = Phase.RESUMING if own.shutdown_from is Phase.RESUMING else Phase.STABLE
            own.set_phase(back, "shutdown cancelled")
            own.run(GroupAction.TAKE, gave - failed, "shutdown cancelled", retaken)
            return
        own.local_claimed = False
        own.foreign_claimed = False
        own.log_line(logging.INFO, "All HA resources relinquished.")
        _shut_down(own, "all released")

    own.run(GroupAction.GIVE, set(own.held), "shutdown", released)


def _shut_down(own: Ownership, why: str) -> None:
    own.set_phase(Phase.SHUT_DOWN, why)
    own.send("shutdone", [("st", "dead")], None)
    if own.on_down is not None:
        own.on_down()
