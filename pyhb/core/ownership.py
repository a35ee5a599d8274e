"""Who holds which resource group: heartbeat's resource negotiation, made exact.

Rules (hb_resource.c and the ResourceManager scripts; docs/protocol.md#resource-ownership):
- ``local`` groups are the haresources lines naming this node, ``foreign`` all others;
  ``rsc_hold`` words are always from the sender's point of view.
- The node's negotiation state is one ``negotiation.Phase``, moved only by
  ``set_phase`` as ``negotiation.TRANSITIONS`` allows (docs/ownership.md#negotiation-states).
- On communication up a node says ``starting``; a peer answers with a full
  ``resource`` statement. As soon as the peer's statement is known we take our
  local groups the peer does not hold (3.0.6 waits a fixed 10 s when both start
  together; the statement already tells us everything we need).
- A dead peer's groups, and our own, are taken at once ("mach_down").
- Standby (``ask_resources`` me → other → done → done) moves a set between nodes;
  ``hb_takeover SET`` makes the peer go standby on the mirrored set: ``core.standby``.
- Graceful shutdown releases what we hold, then sends ``shutdone`` (the one place it is
  sent); a node with nothing to release sends it at once.
- ``legacy`` (the default) uses ip-request / ip-request-resp per group and no
  statements at all: ``core.legacy``. Monitor verdicts and the groups that failed here:
  ``core.monitored``. Each is a part this class is made of, reaching it through a
  narrow protocol.
- Two owners are never left standing: when both claim a group, a node that is in
  transition (starting, resumed after a stall) yields; between two stable nodes the one
  that kept serving keeps it: a group taken only because the peer was declared dead by
  timeout (it may have been alive behind a partition) is *provisional* and is the one
  released; our provisional groups travel in the full statement as ``provisional=<word>``
  (absent: none; 3.0.6 ignores the field). When neither or both copies are provisional
  the group's preferred node keeps it (``core.decision``).
- A node resumed after a stall (RESUMING) trusts nothing it knew about the peer: it asks
  for a fresh statement (``info=resumed``, answered by pyhb peers; after ``RESUME_WAIT``
  it acts on what it knows, as with a 3.0.6 peer that does not answer). A peer returning
  after a partition is asked the same way (``info=returned``): its own statement may have
  been sent while it was still dead to us, and dropped.
- Whenever ownership was in doubt (a peer returning after a partition, our own resume),
  the addresses we still hold are re-announced once the peer's statement shows that it
  no longer claims them (``on_announce``), so neighbours' ARP caches follow the keeper.
- One group operation runs at a time; decisions are re-evaluated when it finishes.
- A peer that died while it may have held groups is reset first when a STONITH device is
  configured: nothing is taken over until the reset succeeded (``core.fencing``).
- Every input that may set a deadline is given ``now``; nothing here reads a clock.

Imports stdlib, ``pyhb.config.model`` and the core's ``events``, ``negotiation``,
``decision``, ``fencing``, ``standby``, ``legacy`` and ``monitored`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import assert_never

from pyhb.config.model import AutoFailback, ResourceGroup
from pyhb.core import decision
from pyhb.core.events import GroupAction, RscHold
from pyhb.core.fencing import FenceGate
from pyhb.core.legacy import Legacy
from pyhb.core.monitored import Monitored
from pyhb.core.negotiation import TRANSITIONS, Machine, Phase
from pyhb.core.standby import Standby

log = logging.getLogger(__name__)

STARTING_FALLBACK = 10.0  # hb_resource.c: take local groups 10 s after RSCRCVD
RESUME_WAIT = 5.0  # how long a resumed node waits for the peer's fresh statement

_SHUTTING = (Phase.SHUTTING_DOWN, Phase.SHUT_DOWN)


@dataclass(slots=True)
class Op:
    op_id: int
    action: GroupAction
    keys: tuple[str, ...]
    then: Callable[[frozenset[str]], None]


Send = Callable[[str, list[tuple[str, str]], str | None], None]
Run = Callable[[GroupAction, tuple[ResourceGroup, ...], str, bool], int]
Log = Callable[[int, str], None]


class Ownership:
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
        self.send = send
        self._run_effect = run
        self.log_line = log_line
        self.local_keys = frozenset(g.key for g in groups if g.node == local)
        self.foreign_keys = frozenset(self.groups) - self.local_keys
        self._phase = Machine("ownership", Phase.INIT, TRANSITIONS)
        self._shutdown_from = Phase.STABLE  # where a cancelled shutdown returns to
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
        self.provisional: set[str] = set()  # taken while the peer might still serve them
        self.peer_provisional: frozenset[str] = frozenset()
        self.peer_timed_out = False  # the peer was declared dead by timeout, not shutdone
        self.deadline_resume: float | None = None
        self.announce_wanted = False  # re-announce our addresses once the doubt is resolved
        self.announced_keep = False  # announced already that we keep a contested group
        self.on_announce: Callable[[frozenset[str]], None] | None = None  # keys to announce
        self.on_down: Callable[[], None] | None = None  # ``shutdone`` sent: the node may exit
        self.failed_here: set[str] = set()  # groups whose start failed on this node
        self.hand_over: set[str] = set()  # of those, the ones to offer the peer
        self.banned: set[str] = set()  # failed here (monitor): not taken until cleared
        self.busy: Op | None = None
        self.deadline_starting: float | None = None
        self.deadline_failback: float | None = None
        self.failback_armed = False  # we took foreign groups because their node was gone
        self.fence = FenceGate(log_line)  # STONITH before takeover (core.fencing)
        self.standby = Standby(self)
        self.legacy = Legacy(self)
        self.monitor = Monitored(self)

    # -- the negotiation state -------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return self._phase.state

    def set_phase(self, new: Phase, why: str) -> None:
        """The one place the phase changes (``negotiation.TRANSITIONS`` decides)."""
        self._phase.move(new, why)

    @property
    def suspect(self) -> bool:
        """Resumed after a stall: our claims may be stale."""
        return self.phase is Phase.RESUMING

    @property
    def shutting_down(self) -> bool:
        """A graceful shutdown was asked for (and not cancelled)."""
        return self.phase in (Phase.SHUTDOWN_PENDING, *_SHUTTING)

    @property
    def is_down(self) -> bool:
        """Everything released and ``shutdone`` sent."""
        return self.phase is Phase.SHUT_DOWN

    # -- words and sets --------------------------------------------------------------

    def keys_of(self, word: str, node: str) -> frozenset[str]:
        """The group keys a ``rsc_hold`` word means, from ``node``'s point of view."""
        mine = frozenset(k for k, g in self.groups.items() if g.node == node)
        try:
            hold = RscHold(word)
        except ValueError:
            return frozenset()  # not a set word: nothing
        match hold:
            case RscHold.ALL:
                return frozenset(self.groups)
            case RscHold.LOCAL:
                return mine
            case RscHold.FOREIGN:
                return frozenset(self.groups) - mine
            case RscHold.NONE:
                return frozenset()
            case unreachable:
                assert_never(unreachable)

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
        if self.busy is not None or self.phase is Phase.STARTING or self.standby.active():
            return "transition"
        return str(self.word())

    def eligible(self, keys: Collection[str], why: str) -> set[str]:
        """``keys`` but the groups that failed here (``core.monitored``)."""
        return self.monitor.eligible(keys, why)

    def declines(self, peer: str, hold: RscHold) -> bool:
        """The peer's offer of ``hold`` is declined (``core.monitored``)."""
        return self.monitor.declines(peer, hold)

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
        self.send("resource", fields, None)

    def is_stable(self) -> bool:
        return self.phase is Phase.STABLE and self.busy is None and not self.standby.active()

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

    def restart(self, tail: ResourceGroup, reason: str) -> None:
        """Restart the resources of ``tail`` (a group from a failed resource on) in place."""
        self.state[tail.key] = "restarting"
        op_id = self._run_effect(GroupAction.RESTART, (tail,), reason, False)
        self.busy = Op(op_id, GroupAction.RESTART, (tail.key,), lambda _failed: None)

    def finished(self, op_id: int, failed: Collection[str], now: float) -> None:
        """A group operation reported back."""
        op = self.busy
        if op is None or op.op_id != op_id:
            log.warning("result of unknown resource operation %d ignored", op_id)
            return
        self.busy = None
        failed_set = frozenset(failed) & frozenset(op.keys)
        if op.action is GroupAction.RESTART:
            self.monitor.restart_finished(op.keys, failed_set)
            self.evaluate(now)
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
                self.log_line(logging.CRITICAL, f"Resource group {k}: {verb} failed")
            elif k not in self.banned:  # a monitor failure stays reported until cleared
                self.errors.pop(k, None)
        op.then(failed_set)
        self.evaluate(now)

    def evaluate(self, now: float) -> None:
        """Decide what to do next; called after every input that may change the answer
        (the decision procedure: ``core.decision``)."""
        decision.evaluate(self, now)

    def after_input(self, now: float) -> None:
        """At the end of every input: a deferred standby request, a pending shutdown."""
        if self.standby.deferred is not None:
            self.standby.poll_deferred(now)
        if self.phase is Phase.SHUTDOWN_PENDING and self.busy is None:
            self.begin_shutdown(now)

    # -- life cycle --------------------------------------------------------------------

    def comm_up(self, peer: str | None, now: float) -> None:
        """Communication is up: begin resource negotiation."""
        self.peer = peer
        self.peer_alive = peer is not None
        if self.mode is AutoFailback.LEGACY:
            self.set_phase(Phase.STABLE, "communication up (legacy)")
            self.local_claimed = True
            if peer is None:
                self.legacy.ready = True
                self.take_everything("initial")
            else:
                self.legacy.start(now)
            return
        self.set_phase(Phase.STARTING, "communication up")
        self.send("starting", [], None)
        if peer is None:
            self.take_everything("initial")
        else:
            self.deadline_starting = now + STARTING_FALLBACK
            self.evaluate(now)

    def take_everything(self, reason: str) -> None:
        """No other node can hold anything: take every group we do not hold."""
        if self.fence.blocking:
            return  # taken once the reset succeeded (``fence_done``)
        self.local_claimed = True
        self.foreign_claimed = True
        if set(self.foreign_keys) - self.held or not self.foreign_keys:
            self.failback_armed = True
        if self.peer_timed_out:
            self.provisional |= set(self.groups) - self.held

        def done(_failed: frozenset[str]) -> None:
            if self.phase is Phase.STARTING:
                self.set_phase(Phase.STABLE, f"initial acquisition ({reason})")
                self.log_line(logging.INFO, f"Initial resource acquisition complete ({reason})")
            if reason == "mach_down" and self.mode is not AutoFailback.LEGACY:
                self.send("resource", [("rsc_hold", "foreign"), ("info", "mach_down")], None)
                self.log_line(logging.INFO, "mach_down takeover complete.")
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
        self.legacy.forget_peer()
        self.failed_here.clear()  # circumstances changed: worth one more try
        self.standby.peer_lost()
        if self.phase is Phase.INIT or self.phase in _SHUTTING:
            return
        if held_nothing and not graceful:
            self.log_line(logging.INFO, f"Dead node {peer} gave up resources.")
        elif not graceful:
            self.fence.peer_lost(peer)
        if not self.fence.wanted(peer):  # else said once it is reset (``core.fencing``)
            self.log_line(logging.INFO, f"Resources being acquired from {peer}.")
        self.evaluate(now)

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
            self.standby.peer_lost()

    def peer_returned(self, peer: str, now: float) -> None:
        """A peer we had declared dead speaks again (same generation): a healed
        partition or a resumed process. Tell it what we hold; resolve any conflict
        once its statement arrives."""
        self.peer_up(peer)
        self.peer_known = False
        self.peer_stable = False
        # Failback is for a preferred node that restarts; one that comes back from a
        # partition or a freeze does not pull its groups back (no second outage).
        self.failback_armed = False
        if self.mode is AutoFailback.LEGACY:
            self.legacy.reconcile(now)
            self.evaluate(now)
        elif self.phase is not Phase.INIT:
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
        if self.phase is not Phase.INIT:
            self.statement()

    def on_resource(
        self,
        peer: str,
        hold: str,
        rtype: str | None,
        isstable: str | None,
        provisional: str | None = None,
        info: str | None = None,
        *,
        now: float,
    ) -> None:
        """The peer tells us what it holds."""
        self.peer = peer
        self.peer_alive = True
        keys = self.keys_of(hold, peer)
        claims_ours = hold in (RscHold.ALL, RscHold.FOREIGN)
        if rtype == "full" or hold == RscHold.NONE:
            self.peer_hold = keys
            self.peer_claims_ours = claims_ours
            self.peer_provisional = self.keys_of(provisional or RscHold.NONE, peer) & keys
            self.peer_known = True
            self.deadline_resume = None
        else:
            self.peer_hold = self.peer_hold | keys
            self.peer_claims_ours = self.peer_claims_ours or claims_ours
        if isstable == "1":
            if not self.peer_stable:
                self.log_line(logging.INFO, "remote resource transition completed.")
            self.peer_stable = True
        elif isstable == "0":
            self.peer_stable = False
        if info in ("resumed", "returned") and self.phase is not Phase.INIT:
            self.statement()  # it was frozen or cut off and needs our present claims
        self.evaluate(now)

    def stalled(self, now: float) -> None:
        """Our process was frozen for longer than deadtime: our claims may be stale."""
        if self.mode is AutoFailback.LEGACY:
            self.legacy.reconcile(now)
            self.evaluate(now)
        elif self.held:
            if self.phase is Phase.STABLE:
                self.set_phase(Phase.RESUMING, "frozen past deadtime")
            self.peer_known = False  # what it said before may be stale now
            self.announce_wanted = True
            self.deadline_resume = now + RESUME_WAIT
            self.statement(stable=False, info="resumed")

    def timer(self, now: float) -> None:
        if self.deadline_starting is not None and now >= self.deadline_starting:
            self.deadline_starting = None
            if self.phase is Phase.STARTING:
                self.peer_known = True  # act on what we know
                self.evaluate(now)
        if self.deadline_resume is not None and now >= self.deadline_resume:
            self.deadline_resume = None
            if self.phase in (Phase.RESUMING, Phase.STARTING) and not self.peer_known:
                self.peer_known = True  # a peer that does not answer: act on what we know
                self.evaluate(now)
        if self.deadline_failback is not None and now >= self.deadline_failback:
            self.deadline_failback = None
            self.evaluate(now)
        self.standby.timer(now)
        self.legacy.timer(now)

    def next_deadline(self) -> float | None:
        due = (
            self.deadline_starting,
            self.deadline_failback,
            self.deadline_resume,
            self.standby.deadline,
            self.legacy.deadline,
        )
        return min((t for t in due if t is not None), default=None)

    # -- graceful shutdown -----------------------------------------------------------

    def shutdown(self, now: float, *, at_once: bool = False) -> None:
        """Begin the graceful shutdown; ``at_once``: nothing to release (communication
        not up, or no groups), ``shutdone`` goes out now."""
        if self.phase in _SHUTTING:
            return
        if at_once:
            self._shut_down("nothing to release")
            return
        if self.busy is not None:
            self._shutdown_from = self.phase
            self.set_phase(Phase.SHUTDOWN_PENDING, "an operation is running")
            self.log_line(
                logging.INFO, "Shutdown delayed until current resource activity finishes."
            )
            return
        self.begin_shutdown(now)

    def begin_shutdown(self, now: float) -> None:
        if self.phase is not Phase.SHUTDOWN_PENDING:
            self._shutdown_from = self.phase
        self.set_phase(Phase.SHUTTING_DOWN, "shutdown")
        self.standby.cancel(now)
        if self.mode is not AutoFailback.LEGACY:
            self.send(
                "resource",
                [("rsc_hold", "none"), ("rtype", "full"), ("isstable", "0"), ("info", "shutdown")],
                None,
            )
        self.log_line(logging.INFO, "Giving up all HA resources.")

        gave = frozenset(self.held)

        def retaken(_failed: frozenset[str]) -> None:
            self.statement()

        def released(failed: frozenset[str]) -> None:
            if failed:
                # The daemon reboots the node before this is reached (daemon.fence); a
                # shell without that hook must not say it let go: the peer would start
                # what may still run here. The groups that did stop are started again.
                self.log_line(
                    logging.CRITICAL,
                    f"Shutdown cancelled: {', '.join(sorted(failed))} could not be stopped "
                    "and stays here; stop it by hand, then stop heartbeat again",
                )
                back = Phase.RESUMING if self._shutdown_from is Phase.RESUMING else Phase.STABLE
                self.set_phase(back, "shutdown cancelled")
                self.run(GroupAction.TAKE, gave - failed, "shutdown cancelled", retaken)
                return
            self.local_claimed = False
            self.foreign_claimed = False
            self.log_line(logging.INFO, "All HA resources relinquished.")
            self._shut_down("all released")

        self.run(GroupAction.GIVE, set(self.held), "shutdown", released)

    def _shut_down(self, why: str) -> None:
        self.set_phase(Phase.SHUT_DOWN, why)
        self.send("shutdone", [("st", "dead")], None)
        if self.on_down is not None:
            self.on_down()
