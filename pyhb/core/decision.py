"""The decision procedure of ``Ownership``: what to do next, given what is known.

Rules (docs/ownership.md#negotiation-states), checked in this order after every input,
and only while no group operation runs and the node is negotiating (not INIT, not
shutting down):
1. A shutdown waiting for an operation (SHUTDOWN_PENDING) begins.
2. No live peer: take every group not held (``mach_down``, or ``initial`` while
   STARTING), unless a STONITH reset of the dead peer is still pending.
3. ``legacy``: the ip-request step (``core.legacy``).
4. STARTING: once the peer's statement is known, take our local groups it does not hold.
5. Two owners are never left standing: when both claim a group, a node in transition
   (RESUMING; a STARTING peer yields on its own) releases it; between two stable nodes
   the one that kept serving keeps it: a group taken only because the peer was declared
   dead by timeout (it may have been alive behind a partition) is *provisional* and is
   the one released; our provisional groups travel in the full statement as
   ``provisional=<word>`` (absent: none; 3.0.6 ignores the field). When neither or both
   copies are provisional the group's preferred node keeps it.
6. Doubt resolved: forget provisional groups, re-announce addresses.
7. A group that failed to start here is offered to the peer (standby on its set).
8. ``auto_failback on``: give the foreign set back to its returned node.

Imports stdlib, ``pyhb.config.model`` and the core's ``events``, ``negotiation`` and
``shutdown`` only (``ownership`` for types).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pyhb.config.model import AutoFailback
from pyhb.core import shutdown
from pyhb.core.events import GroupAction, RscHold
from pyhb.core.negotiation import Phase

if TYPE_CHECKING:
    from pyhb.core.ownership import Ownership

_IDLE = (Phase.INIT, Phase.SHUTTING_DOWN, Phase.SHUT_DOWN)


def evaluate(own: Ownership, now: float) -> None:
    """Decide what to do next; called after every input that may change the answer."""
    if own.busy is not None or own.phase in _IDLE:
        return
    if own.phase is Phase.SHUTDOWN_PENDING:
        shutdown.begin(own, now)
        return
    if not own.peer_alive:
        _alone(own)
        return
    if own.mode is AutoFailback.LEGACY:
        own.legacy.step()
        return
    if own.phase is Phase.STARTING:
        if own.peer_known:
            _resolve_start(own)
        return
    if _resolve_conflicts(own):
        return
    _maybe_announce(own)
    if _hand_over_failed(own, now):
        return
    _consider_failback(own, now)


def _alone(own: Ownership) -> None:
    """No live peer: every group is ours to run."""
    if own.fence.blocking:
        return  # no takeover before the dead peer's reset succeeded
    _trusted(own, "the peer is gone: nothing to doubt")
    # 3.0.6 takes over the dead peer's set even when it already runs every group:
    # from then on it claims all (and fails the claim back when the peer returns).
    missing = set(own.groups) - own.held - own.failed_here - own.banned
    if missing or not (own.local_claimed and own.foreign_claimed):
        reason = "mach_down" if own.phase is Phase.STABLE else "initial"
        if own.phase is Phase.STARTING:
            own.deadline_starting = None
        take_everything(own, reason)
    elif own.phase is Phase.STARTING:
        own.set_phase(Phase.STABLE, "alone, holding every group")


def take_everything(own: Ownership, reason: str) -> None:
    """No other node can hold anything: take every group we do not hold."""
    if own.fence.blocking:
        return  # taken once the reset succeeded (``fence_done``)
    own.local_claimed = True
    own.foreign_claimed = True
    if set(own.foreign_keys) - own.held or not own.foreign_keys:
        own.failback_armed = True
    if own.peer_timed_out:
        own.provisional |= set(own.groups) - own.held

    def done(_failed: frozenset[str]) -> None:
        if own.phase is Phase.STARTING:
            own.set_phase(Phase.STABLE, f"initial acquisition ({reason})")
            own.log_line(logging.INFO, f"Initial resource acquisition complete ({reason})")
        if reason == "mach_down" and own.mode is not AutoFailback.LEGACY:
            own.send("resource", [("rsc_hold", "foreign"), ("info", "mach_down")], None)
            own.log_line(logging.INFO, "mach_down takeover complete.")
        own.statement(info="req_our_resources()" if reason != "mach_down" else None)

    # A group that failed to start here is not retried in a loop: once more when the
    # peer dies (``peer_dead`` forgets the failures), else it stays stopped, reported.
    take = own.eligible(set(own.groups) - own.held - own.failed_here, reason)
    own.run(GroupAction.TAKE, take, reason, done)


def _hand_over_failed(own: Ownership, now: float) -> bool:
    """A group failed to start here (and was rolled back): offer it to the peer by
    going standby on its set, as heartbeat's ResourceManager does with hb_standby
    (at once rather than 30 s later, and for the right set). A group that fails on
    both nodes stays stopped and reported (``cl_status rscstatus``, the log)."""
    pending = own.hand_over - own.held
    if not pending or own.standby.active() or not own.is_stable():
        return False
    if not own.peer_known or not own.peer_stable or pending & own.peer_hold:
        own.hand_over -= own.peer_hold
        return False
    own.hand_over.clear()
    hold = own.word(pending)
    own.log_line(
        logging.CRITICAL,
        f"Resource group {', '.join(sorted(pending))} failed to start here: "
        f"handing it over to {own.peer}",
    )
    own.standby.start(hold, now, auto=False)
    return True


def _maybe_announce(own: Ownership) -> None:
    """Doubt resolved (the peer's present statement claims nothing we hold): the
    groups we took while it might still serve them are ours alone now, and the
    neighbours hear so."""
    if not own.peer_known or own.held & own.peer_hold:
        return
    own.provisional.clear()
    if own.announce_wanted and not own.suspect:
        own.announce_wanted = False
        if own.held and own.on_announce is not None:
            own.on_announce(frozenset(own.held))


def _resolve_start(own: Ownership) -> None:
    """Take our local groups the peer does not hold; stop stale copies of the rest."""
    own.deadline_starting = None
    take = own.eligible(own.local_keys - own.peer_hold, "start")
    stale = (set(own.groups) - take) & (own.held | set(own.groups))
    # As 3.0.6: our local set is claimed unless the peer says it holds it (then we
    # hold none until it fails back, even when no haresources line names us).
    own.local_claimed = not own.peer_claims_ours

    def took(_failed: frozenset[str]) -> None:
        if own.phase is Phase.STARTING:
            own.set_phase(Phase.STABLE, "local resource acquisition")
        if take:
            own.log_line(logging.INFO, "Local Resource acquisition completed.")
        else:
            own.log_line(logging.INFO, "Local Resource acquisition completed. (none)")
        own.statement(info="req_our_resources()")

    def cleaned(_failed: frozenset[str]) -> None:
        own.run(GroupAction.TAKE, take, "req_our_resources", took)

    own.held -= stale
    own.clean_up(stale, cleaned)


def _trusted(own: Ownership, why: str) -> None:
    """Our claims are no longer in doubt."""
    if own.phase is Phase.RESUMING:
        own.set_phase(Phase.STABLE, why)


def _resolve_conflicts(own: Ownership) -> bool:
    """Both claim a group: the node in transition yields; else the preferred node
    keeps it. Returns True when an operation was started."""
    both = own.held & own.peer_hold
    if not both:
        if own.suspect and own.peer_known:
            _trusted(own, "the peer claims nothing we hold")
            own.statement()
        return False
    if not own.peer_known:
        return False
    if own.suspect:
        yield_keys = set(both)
    elif not own.peer_stable:
        return False  # the peer is in transition: it will yield
    else:
        yield_keys = {k for k in both if _yields(own, k)}
        if both - yield_keys and not own.announced_keep and own.on_announce is not None:
            # We keep these and the peer will let go: tell the neighbours now, so
            # their caches already point here when its copy disappears.
            own.announced_keep = True
            own.on_announce(frozenset(both - yield_keys))
    if not yield_keys:
        return False
    own.log_line(
        logging.WARNING,
        f"Resource groups held by both {own.local} and {own.peer}: "
        f"releasing {', '.join(sorted(yield_keys))}",
    )

    def released(_failed: frozenset[str]) -> None:
        _trusted(own, "contested groups released")
        own.statement()

    own.run(GroupAction.GIVE, yield_keys, "conflict", released)
    return True


def _yields(own: Ownership, key: str) -> bool:
    """Between two stable holders of ``key``: is it ours to release?"""
    mine, theirs = key in own.provisional, key in own.peer_provisional
    if mine != theirs:
        return mine  # the copy taken while the other might still serve goes
    return own.groups[key].node != own.local


def _consider_failback(own: Ownership, now: float) -> None:
    if own.mode is not AutoFailback.ON or own.standby.active() or not own.failback_armed:
        return
    # With no foreign groups the claim alone is given back, as 3.0.6 does, so that
    # both nodes end up claiming their own local set.
    if not (own.held & own.foreign_keys) and (own.foreign_keys or not own.foreign_claimed):
        own.failback_armed = False
        return
    if not own.peer_stable:
        return
    own.standby.start(RscHold.FOREIGN, now, auto=True)
