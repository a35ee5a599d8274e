"""Who holds which resource group: heartbeat's resource negotiation, made exact.

Rules (hb_resource.c and the ResourceManager scripts; docs/protocol.md#resource-ownership):
- ``local`` groups are the haresources lines naming this node, ``foreign`` all others;
  ``rsc_hold`` words are always from the sender's point of view.
- On communication up a node says ``starting``; a peer answers with a full
  ``resource`` statement. As soon as the peer's statement is known we take our
  local groups the peer does not hold (3.0.6 waits a fixed 10 s when both start
  together; the statement already tells us everything we need).
- A dead peer's groups, and our own, are taken at once ("mach_down").
- Standby (``ask_resources`` me → other → done → done) moves a set between nodes;
  ``hb_takeover SET`` makes the peer go standby on the mirrored set.
- Graceful shutdown releases what we hold, then sends ``shutdone``.
- ``legacy`` (the default) uses ip-request / ip-request-resp per group and no
  statements at all: see ``core.legacy``.
- Two owners are never left standing: when both claim a group, a node that is in
  transition (starting, resumed after a stall) yields; between two stable nodes the one
  that kept serving keeps it: a group taken only because the peer was declared dead by
  timeout (it may have been alive behind a partition) is *provisional* and is the one
  released; our provisional groups travel in the full statement as ``provisional=<word>``
  (absent: none; 3.0.6 ignores the field). When neither or both copies are provisional
  the group's preferred node keeps it.
- A node resumed after a stall trusts nothing it knew about the peer: it asks for a fresh
  statement (``info=resumed``, answered by pyhb peers; after ``RESUME_WAIT`` it acts on
  what it knows, as with a 3.0.6 peer that does not answer). A peer returning after a
  partition is asked the same way (``info=returned``): its own statement may have been
  sent while it was still dead to us, and dropped.
- Whenever ownership was in doubt (a peer returning after a partition, our own resume),
  the addresses we still hold are re-announced once the peer's statement shows that it
  no longer claims them (``on_announce``), so neighbours' ARP caches follow the keeper.

One group operation runs at a time; decisions are re-evaluated when it finishes.
- A peer that died while it may have held groups is reset first when a STONITH device is
  configured: nothing is taken over until the reset succeeded (``core.fencing``).

Imports stdlib, ``pyhb.config.model`` and the core's ``events``, ``fencing``, ``standby``
and ``legacy`` only.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from pyhb.config.model import AutoFailback, ResourceGroup
from pyhb.core.events import GroupAction, RscHold
from pyhb.core.fencing import FenceGate
from pyhb.core.legacy import LegacyMixin
from pyhb.core.monitored import MonitorMixin
from pyhb.core.standby import StandbyMixin

log = logging.getLogger(__name__)

STARTING_FALLBACK = 10.0  # hb_resource.c: take local groups 10 s after RSCRCVD
RESUME_WAIT = 5.0  # how long a resumed node waits for the peer's fresh statement


class RState(enum.Enum):
    INIT = "init"
    STARTING = "starting"
    STABLE = "stable"
    SHUTDOWN = "shutdown"


@dataclass(slots=True)
class Op:
    op_id: int
    action: GroupAction
    keys: tuple[str, ...]
    then: Callable[[frozenset[str]], None]


Send = Callable[[str, list[tuple[str, str]], str | None], None]
Run = Callable[[GroupAction, tuple[ResourceGroup, ...], str, bool], int]
Log = Callable[[int, str], None]


class Ownership(StandbyMixin, LegacyMixin, MonitorMixin):
    """The resource-ownership state machine of one node."""

    def __init__(
        self,
        local: str,
        groups: tuple[ResourceGroup, ...],
        mode: AutoFailback,
        send: Send,
        run: Run,
        log_line: Log,
    ) -> None:
        self.local = local
        self.groups = {g.key: g for g in groups}
        self.mode = mode
        self._send = send
        self._run_effect = run
        self._log = log_line
        self.local_keys = frozenset(g.key for g in groups if g.node == local)
        self.foreign_keys = frozenset(self.groups) - self.local_keys
        self.rstate = RState.INIT
        self.held: set[str] = set()
        self.local_claimed = False
        self.foreign_claimed = False
        self.state: dict[str, str] = dict.fromkeys(self.groups, "stopped")
        self.errors: dict[str, str] = {}
        self.peer: str | None = None  # the other node we negotiate with
        self.peer_alive = False
        self.peer_hold: frozenset[str] = frozenset()
        self.peer_claims_ours = False  # the peer's word includes its foreign set (ours)
        self.peer_known = False  # a full statement from the current peer instance
        self.peer_stable = False
        self.suspect = False  # we were frozen: our claims may be stale
        self.provisional: set[str] = set()  # taken while the peer might still serve them
        self.peer_provisional: frozenset[str] = frozenset()
        self.peer_timed_out = False  # the peer was declared dead by timeout, not shutdone
        self.deadline_resume: float | None = None
        self.announce_wanted = False  # re-announce our addresses once the doubt is resolved
        self.announced_keep = False  # announced already that we keep a contested group
        self.on_announce: Callable[[frozenset[str]], None] | None = None  # keys to announce
        self.failed_here: set[str] = set()  # groups whose start failed on this node
        self.hand_over: set[str] = set()  # of those, the ones to offer the peer
        self.busy: Op | None = None
        self.deadline_starting: float | None = None
        self.deadline_failback: float | None = None
        self.failback_armed = False  # we took foreign groups because their node was gone
        self.shutdown_requested = False
        self.shutdown_done = False
        self.fence = FenceGate(log_line)  # STONITH before takeover (core.fencing)
        self._init_standby()
        self._init_legacy()
        self._init_monitor()

    # -- words and sets --------------------------------------------------------------

    def keys_of(self, word: str, node: str) -> frozenset[str]:
        """The group keys a ``rsc_hold`` word means, from ``node``'s point of view."""
        mine = frozenset(k for k, g in self.groups.items() if g.node == node)
        others = frozenset(self.groups) - mine
        match word:
            case RscHold.ALL:
                return mine | others
            case RscHold.LOCAL:
                return mine
            case RscHold.FOREIGN:
                return others
            case _:
                return frozenset()

    def word(self, held: Collection[str] | None = None) -> RscHold:
        """What we hold (or would hold with ``held``), as heartbeat says it."""
        keys = frozenset(self.held if held is None else held)
        has_local = bool(keys & self.local_keys) or (not self.local_keys and self.local_claimed)
        has_foreign = bool(keys & self.foreign_keys) or (
            not self.foreign_keys and self.foreign_claimed
        )
        if has_local and has_foreign:
            return RscHold.ALL
        if has_local:
            return RscHold.LOCAL
        if has_foreign:
            return RscHold.FOREIGN
        return RscHold.NONE

    def rscstatus(self) -> str:
        """``cl_status rscstatus``: the held word, or ``transition`` while moving."""
        if self.busy is not None or self.rstate is RState.STARTING or self.standby_active():
            return "transition"
        return str(self.word())

    # -- effects -----------------------------------------------------------------------

    def statement(
        self,
        *,
        stable: bool | None = None,
        info: str | None = None,
        held: Collection[str] | None = None,
    ) -> None:
        """Send ``resource rsc_hold=<ours> rtype=full isstable=...`` (never in legacy
        mode: 3.0.6 sends no statements there)."""
        if self.mode is AutoFailback.LEGACY:
            return
        if stable is None:
            stable = self.is_stable()
        fields = [("rsc_hold", str(self.word(held))), ("rtype", "full")]
        fields.append(("isstable", "1" if stable else "0"))
        held_now = frozenset(self.held if held is None else held)
        if self.provisional & held_now:
            fields.append(("provisional", str(self.word(self.provisional & held_now))))
        if info:
            fields.append(("info", info))
        self._send("resource", fields, None)

    def is_stable(self) -> bool:
        return (
            self.rstate is RState.STABLE
            and self.busy is None
            and not self.suspect
            and not self.standby_active()
        )

    def run(
        self,
        action: GroupAction,
        keys: Collection[str],
        reason: str,
        then: Callable[[frozenset[str]], None],
        *,
        only_running: bool = False,
    ) -> None:
        """Start one group operation; ``then(failed_keys)`` runs when it finishes."""
        ordered = tuple(k for k in self.groups if k in keys)
        if not ordered:
            then(frozenset())
            return
        for k in ordered:
            self.state[k] = "starting" if action is GroupAction.TAKE else "stopping"
            if action is GroupAction.TAKE:
                self.held.add(k)
        groups = tuple(self.groups[k] for k in ordered)
        op_id = self._run_effect(action, groups, reason, only_running)
        self.busy = Op(op_id, action, ordered, then)

    def finished(self, op_id: int, failed: Collection[str]) -> None:
        """A group operation reported back."""
        op = self.busy
        if op is None or op.op_id != op_id:
            log.warning("result of unknown resource operation %d ignored", op_id)
            return
        self.busy = None
        failed_set = frozenset(failed) & frozenset(op.keys)
        if op.action is GroupAction.RESTART:
            self.restart_finished(op.keys, failed_set)
            self.evaluate()
            return
        for k in op.keys:
            if op.action is GroupAction.TAKE:
                self.state[k] = "failed" if k in failed_set else "running"
                if k in failed_set:
                    # The runner rolled the group back: we do not hold it.
                    self.held.discard(k)
                    self.provisional.discard(k)
                    if k not in self.failed_here:
                        self.hand_over.add(k)
                    self.failed_here.add(k)
                else:
                    self.failed_here.discard(k)
            else:
                self.state[k] = "failed" if k in failed_set else "stopped"
                if k not in failed_set:
                    self.held.discard(k)
            if k in failed_set:
                verb = "start" if op.action is GroupAction.TAKE else "stop"
                self.errors[k] = f"{verb} failed"
                self._log(logging.CRITICAL, f"Resource group {k}: {verb} failed")
            elif k not in self.banned:  # a monitor failure stays reported until cleared
                self.errors.pop(k, None)
        op.then(failed_set)
        self.evaluate()

    # -- life cycle --------------------------------------------------------------------

    def comm_up(self, peer: str | None, now: float) -> None:
        """Communication is up: begin resource negotiation."""
        self.peer = peer
        self.peer_alive = peer is not None
        if self.mode is AutoFailback.LEGACY:
            self.rstate = RState.STABLE
            self.local_claimed = True
            if peer is None:
                self.legacy_ready = True
                self._take_everything("initial", now)
            else:
                self.legacy_start(now)
            return
        self.rstate = RState.STARTING
        self._send("starting", [], None)
        if peer is None:
            self._take_everything("initial", now)
        else:
            self.deadline_starting = now + STARTING_FALLBACK
            self.evaluate()

    def _take_everything(self, reason: str, now: float) -> None:
        """No other node can hold anything: take every group we do not hold."""
        del now
        if self.fence.blocking:
            return  # taken once the reset succeeded (``fence_done``)
        self.local_claimed = True
        self.foreign_claimed = True
        if set(self.foreign_keys) - self.held or not self.foreign_keys:
            self.failback_armed = True
        if self.peer_timed_out:
            self.provisional |= set(self.groups) - self.held

        def done(_failed: frozenset[str]) -> None:
            if self.rstate is RState.STARTING:
                self.rstate = RState.STABLE
                self._log(logging.INFO, f"Initial resource acquisition complete ({reason})")
            if reason == "mach_down" and self.mode is not AutoFailback.LEGACY:
                self._send("resource", [("rsc_hold", "foreign"), ("info", "mach_down")], None)
                self._log(logging.INFO, "mach_down takeover complete.")
            self.statement(info="req_our_resources()" if reason != "mach_down" else None)

        # A group that failed to start here is not retried in a loop: once more when the
        # peer dies (``peer_dead`` forgets the failures), else it stays stopped, reported.
        take = self.eligible(set(self.groups) - self.held - self.failed_here, reason)
        self.run(GroupAction.TAKE, take, reason, done)

    def peer_dead(self, peer: str, now: float, *, graceful: bool) -> None:
        """The peer died or shut down: everything is ours to run."""
        if peer != self.peer:
            return
        held_nothing = graceful or (self.peer_known and not self.peer_hold)
        self.peer_timed_out = not graceful and not held_nothing
        self.peer_alive = False
        self._forget_peer_claims()
        self.legacy_forget_peer()
        self.failed_here.clear()  # circumstances changed: worth one more try
        self.standby_peer_lost()
        if self.rstate in (RState.INIT, RState.SHUTDOWN):
            return
        if held_nothing and not graceful:
            self._log(logging.INFO, f"Dead node {peer} gave up resources.")
        elif not graceful:
            self.fence.peer_lost(peer)
        if not self.fence.wanted(peer):  # else said once it is reset (``core.fencing``)
            self._log(logging.INFO, f"Resources being acquired from {peer}.")
        del now
        self.evaluate()

    def _forget_peer_claims(self) -> None:
        """Nothing the peer said about its groups holds any more (it died, restarted or
        starts negotiating again): wait for its next full statement."""
        self.peer_known = False
        self.peer_stable = False
        self.peer_hold = frozenset()
        self.peer_claims_ours = False
        self.peer_provisional = frozenset()

    def peer_restarted(self, peer: str) -> None:
        """The peer came back with a new generation: forget what it said it held."""
        self.fence.peer_back(peer)
        if peer == self.peer:
            self._forget_peer_claims()
            self.peer_timed_out = False  # a new instance: it holds only what it says
            self.standby_peer_lost()

    def peer_returned(self, peer: str) -> None:
        """A peer we had declared dead speaks again (same generation): a healed
        partition or a resumed process. Tell it what we hold; resolve any conflict
        once its statement arrives."""
        self.fence.peer_back(peer)
        self.peer = peer
        self.peer_alive = True
        self.peer_known = False
        self.peer_stable = False
        # Failback is for a preferred node that restarts; one that comes back from a
        # partition or a freeze does not pull its groups back (no second outage).
        self.failback_armed = False
        if self.mode is AutoFailback.LEGACY:
            self.legacy_reconcile()
            self.evaluate()
        elif self.rstate is not RState.INIT:
            self.announce_wanted = bool(self.held)
            self.announced_keep = False
            self.statement(info="returned")  # and ask for its present claims

    def peer_up(self, peer: str) -> None:
        """A peer became alive again after being dead (restart or return)."""
        self.fence.peer_back(peer)
        self.peer = peer
        self.peer_alive = True

    def on_starting(self, peer: str) -> None:
        """The peer begins negotiating: answer with our full statement."""
        self.peer = peer
        self.peer_alive = True
        self._forget_peer_claims()
        if self.rstate is not RState.INIT:
            self.statement()

    def on_resource(
        self,
        peer: str,
        hold: str,
        rtype: str | None,
        isstable: str | None,
        provisional: str | None = None,
        info: str | None = None,
    ) -> None:
        """The peer tells us what it holds."""
        if peer != self.peer:
            self.peer = peer
        self.peer_alive = True
        keys = self.keys_of(hold, peer)
        claims_ours = hold in (RscHold.ALL, RscHold.FOREIGN)
        if rtype == "full" or hold == RscHold.NONE:
            self.peer_hold = keys
            self.peer_claims_ours = claims_ours
            self.peer_provisional = self.keys_of(provisional or RscHold.NONE, peer) & keys
            self.peer_known = True
            if self.deadline_resume is not None:
                self.deadline_resume = None
        else:
            self.peer_hold = self.peer_hold | keys
            self.peer_claims_ours = self.peer_claims_ours or claims_ours
        if isstable == "1":
            if not self.peer_stable:
                self._log(logging.INFO, "remote resource transition completed.")
            self.peer_stable = True
        elif isstable == "0":
            self.peer_stable = False
        if info in ("resumed", "returned") and self.rstate is not RState.INIT:
            self.statement()  # it was frozen or cut off and needs our present claims
        self.evaluate()

    def stalled(self, now: float) -> None:
        """Our process was frozen for longer than deadtime: our claims may be stale."""
        if self.mode is AutoFailback.LEGACY:
            self.legacy_reconcile()
            self.evaluate()
        elif self.held:
            self.suspect = True
            self.peer_known = False  # what it said before may be stale now
            self.announce_wanted = True
            self.deadline_resume = now + RESUME_WAIT
            self.statement(stable=False, info="resumed")

    def timer(self, now: float) -> None:
        if self.deadline_starting is not None and now >= self.deadline_starting:
            self.deadline_starting = None
            if self.rstate is RState.STARTING:
                self.peer_known = True  # act on what we know
                self.evaluate()
        if self.deadline_resume is not None and now >= self.deadline_resume:
            self.deadline_resume = None
            if self.suspect and not self.peer_known:
                self.peer_known = True  # a peer that does not answer: act on what we know
                self.evaluate()
        if self.deadline_failback is not None and now >= self.deadline_failback:
            self.deadline_failback = None
            self.evaluate()
        self.standby_timer(now)
        self.legacy_timer(now)

    def next_deadline(self) -> float | None:
        best: float | None = None
        for t in (
            self.deadline_starting,
            self.deadline_failback,
            self.deadline_resume,
            self.standby_deadline,
            self.legacy_deadline,
        ):
            if t is not None and (best is None or t < best):
                best = t
        return best

    # -- the decision procedure -----------------------------------------------------

    def evaluate(self) -> None:
        """Decide what to do next; called after every input that may change the answer."""
        if self.busy is not None or self.rstate in (RState.INIT, RState.SHUTDOWN):
            return
        if self.shutdown_requested:
            self._begin_shutdown()
            return
        if not self.peer_alive:
            if self.fence.blocking:
                return  # no takeover before the dead peer's reset succeeded
            self.suspect = False
            # 3.0.6 takes over the dead peer's set even when it already runs every group:
            # from then on it claims all (and fails the claim back when the peer returns).
            missing = set(self.groups) - self.held - self.failed_here - self.banned
            if missing or not (self.local_claimed and self.foreign_claimed):
                reason = "mach_down" if self.rstate is RState.STABLE else "initial"
                if self.rstate is RState.STARTING:
                    self.deadline_starting = None
                self._take_everything(reason, 0.0)
            elif self.rstate is RState.STARTING:
                self.rstate = RState.STABLE
            return
        if self.mode is AutoFailback.LEGACY:
            self.legacy_step()
            return
        if self.rstate is RState.STARTING:
            if self.peer_known:
                self._resolve_start()
            return
        if self._resolve_conflicts():
            return
        self._maybe_announce()
        if self._hand_over_failed():
            return
        self._consider_failback()

    def _hand_over_failed(self) -> bool:
        """A group failed to start here (and was rolled back): offer it to the peer by
        going standby on its set, as heartbeat's ResourceManager does with hb_standby
        (at once rather than 30 s later, and for the right set). A group that fails on
        both nodes stays stopped and reported (``cl_status rscstatus``, the log)."""
        pending = self.hand_over - self.held
        if not pending or self.standby_active() or not self.is_stable():
            return False
        if not self.peer_known or not self.peer_stable or pending & self.peer_hold:
            self.hand_over -= self.peer_hold
            return False
        self.hand_over.clear()
        hold = self.word(pending)
        self._log(
            logging.CRITICAL,
            f"Resource group {', '.join(sorted(pending))} failed to start here: "
            f"handing it over to {self.peer}",
        )
        self.start_standby(hold, auto=False)
        return True

    def _maybe_announce(self) -> None:
        """Doubt resolved (the peer's present statement claims nothing we hold): the
        groups we took while it might still serve them are ours alone now, and the
        neighbours hear so."""
        if not self.peer_known or self.held & self.peer_hold:
            return
        self.provisional.clear()
        if self.announce_wanted and not self.suspect:
            self.announce_wanted = False
            if self.held and self.on_announce is not None:
                self.on_announce(frozenset(self.held))

    def _resolve_start(self) -> None:
        """Take our local groups the peer does not hold; stop stale copies of the rest."""
        self.deadline_starting = None
        take = self.eligible(self.local_keys - self.peer_hold, "start")
        stale = (set(self.groups) - take) & (self.held | set(self.groups))
        # As 3.0.6: our local set is claimed unless the peer says it holds it (then we
        # hold none until it fails back, even when no haresources line names us).
        self.local_claimed = not self.peer_claims_ours

        def took(_failed: frozenset[str]) -> None:
            self.rstate = RState.STABLE
            self.suspect = False
            if take:
                self._log(logging.INFO, "Local Resource acquisition completed.")
            else:
                self._log(logging.INFO, "Local Resource acquisition completed. (none)")
            self.statement(info="req_our_resources()")

        def cleaned(_failed: frozenset[str]) -> None:
            self.run(GroupAction.TAKE, take, "req_our_resources", took)

        self.held -= stale
        self.run(GroupAction.GIVE, stale, "startup cleanup", cleaned, only_running=True)

    def _resolve_conflicts(self) -> bool:
        """Both claim a group: the node in transition yields; else the preferred node
        keeps it. Returns True when an operation was started."""
        both = self.held & self.peer_hold
        if not both:
            if self.suspect and self.peer_known:
                self.suspect = False
                self.statement()
            return False
        if not self.peer_known:
            return False
        if self.suspect:
            yield_keys = set(both)
        elif not self.peer_stable:
            return False  # the peer is in transition: it will yield
        else:
            yield_keys = {k for k in both if self._yields(k)}
            if both - yield_keys and not self.announced_keep and self.on_announce is not None:
                # We keep these and the peer will let go: tell the neighbours now, so
                # their caches already point here when its copy disappears.
                self.announced_keep = True
                self.on_announce(frozenset(both - yield_keys))
        if not yield_keys:
            return False
        self._log(
            logging.WARNING,
            f"Resource groups held by both {self.local} and {self.peer}: "
            f"releasing {', '.join(sorted(yield_keys))}",
        )

        def released(_failed: frozenset[str]) -> None:
            self.suspect = False
            self.statement()

        self.run(GroupAction.GIVE, yield_keys, "conflict", released)
        return True

    def _yields(self, key: str) -> bool:
        """Between two stable holders of ``key``: is it ours to release?"""
        mine, theirs = key in self.provisional, key in self.peer_provisional
        if mine != theirs:
            return mine  # the copy taken while the other might still serve goes
        return self.groups[key].node != self.local

    def _consider_failback(self) -> None:
        if self.mode is not AutoFailback.ON or self.standby_active() or not self.failback_armed:
            return
        # With no foreign groups the claim alone is given back, as 3.0.6 does, so that
        # both nodes end up claiming their own local set.
        if not (self.held & self.foreign_keys) and (self.foreign_keys or not self.foreign_claimed):
            self.failback_armed = False
            return
        if not self.peer_stable:
            return
        self.start_standby(RscHold.FOREIGN, auto=True)

    # -- graceful shutdown -----------------------------------------------------------

    def shutdown(self) -> str | None:
        """Begin the graceful shutdown; None when accepted."""
        self.shutdown_requested = True
        if self.busy is not None:
            self._log(logging.INFO, "Shutdown delayed until current resource activity finishes.")
            return None
        self._begin_shutdown()
        return None

    def _begin_shutdown(self) -> None:
        self.rstate = RState.SHUTDOWN
        self.cancel_standby()
        if self.mode is not AutoFailback.LEGACY:
            self._send(
                "resource",
                [("rsc_hold", "none"), ("rtype", "full"), ("isstable", "0"), ("info", "shutdown")],
                None,
            )
        self._log(logging.INFO, "Giving up all HA resources.")

        gave = frozenset(self.held)

        def retaken(_failed: frozenset[str]) -> None:
            self.statement()

        def released(failed: frozenset[str]) -> None:
            if failed:
                # The daemon reboots the node before this is reached (daemon.fence); a
                # shell without that hook must not say it let go: the peer would start
                # what may still run here. The groups that did stop are started again.
                self._log(
                    logging.CRITICAL,
                    f"Shutdown cancelled: {', '.join(sorted(failed))} could not be stopped "
                    "and stays here; stop it by hand, then stop heartbeat again",
                )
                self.shutdown_requested = False
                self.rstate = RState.STABLE
                self.run(GroupAction.TAKE, gave - failed, "shutdown cancelled", retaken)
                return
            self.local_claimed = False
            self.foreign_claimed = False
            self._log(logging.INFO, "All HA resources relinquished.")
            self._send("shutdone", [("st", "dead")], None)
            self.shutdown_done = True

        self.run(GroupAction.GIVE, set(self.held), "shutdown", released)
