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
- A dead peer's groups, and our own, are taken at once ("mach_down"); one that may have
  held groups is reset first when a STONITH device is configured (``core.fencing``).
- What to do after each input is decided in ``core.decision`` (two owners are never left
  standing); the graceful shutdown is ``core.shutdown``. One group operation runs at a
  time; decisions are re-evaluated when it finishes.
- Parts, each reaching this class through a narrow protocol: ``core.standby`` (standby,
  ``hb_takeover``), ``core.legacy`` (``auto_failback legacy``: ip-request, no
  statements), ``core.monitored`` (monitor verdicts, groups that failed here).
- A node resumed after a stall (RESUMING) trusts nothing it knew about the peer: it asks
  for a fresh statement (``info=resumed``, answered by pyhb peers; after ``RESUME_WAIT``
  it acts on what it knows, as with a 3.0.6 peer that does not answer). A peer returning
  after a partition is asked the same way (``info=returned``): its own statement may have
  been sent while it was still dead to us, and dropped.
- Whenever ownership was in doubt (a peer returning after a partition, our own resume),
  the addresses we still hold are re-announced once the peer's statement shows that it
  no longer claims them (``on_announce``), so neighbours' ARP caches follow the keeper.
- Every input that may set a deadline is given ``now``; nothing here reads a clock.

Imports stdlib, ``pyhb.config.model`` and the core's ``events``, ``negotiation``,
``owner``, ``holdwords``, ``decision``, ``shutdown``, ``fencing``, ``standby``, ``legacy`` and
``monitored`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from pyhb.config.model import AutoFailback, ResourceGroup
from pyhb.core import decision, shutdown
from pyhb.core.events import GroupAction, RscHold
from pyhb.core.fencing import FenceGate
from pyhb.core.holdwords import keys_meant, word_for
from pyhb.core.legacy import Legacy
from pyhb.core.monitored import Monitored
from pyhb.core.negotiation import TRANSITIONS, Machine, Phase
from pyhb.core.owner import Op, Then
from pyhb.core.standby import Standby

log = logging.getLogger(__name__)

STARTING_FALLBACK = 10.0  # hb_resource.c: take local groups 10 s after RSCRCVD
RESUME_WAIT = 5.0  # how long a resumed node waits for the peer's fresh statement

_SHUTTING = (Phase.SHUTTING_DOWN, Phase.SHUT_DOWN)


class Ownership:
    """The resource-ownership state machine of one node."""

    def __init__(
        self,
        local: str,
        groups: tuple[ResourceGroup, ...],
        mode: AutoFailback,
        send: Callable[[str, list[tuple[str, str]], str | None], None],
        run: Callable[[GroupAction, tuple[ResourceGroup, ...], str, bool], int],
        log_line: Callable[[int, str], None],
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
        self.shutdown_from = Phase.STABLE  # where a cancelled shutdown returns to
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
        return keys_meant(self.groups, word, node)

    def word(self, held: Collection[str] | None = None) -> RscHold:
        """What we hold (or would hold with ``held``), as heartbeat says it."""
        keys = frozenset(self.held if held is None else held)
        claims = (self.local_claimed, self.foreign_claimed)
        return word_for(keys, self.local_keys, self.foreign_keys, claims)

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

    def run(self, action: GroupAction, keys: Collection[str], reason: str, then: Then) -> None:
        """Start one group operation; ``then(failed_keys)`` runs when it finishes."""
        self._start(action, keys, reason, then, only_running=False)

    def clean_up(self, keys: Collection[str], then: Then) -> None:
        """Stop stale copies of ``keys`` (a restart in place may have left them running)."""
        self._start(GroupAction.GIVE, keys, "startup cleanup", then, only_running=True)

    def _start(
        self,
        action: GroupAction,
        keys: Collection[str],
        reason: str,
        then: Then,
        *,
        only_running: bool,
    ) -> None:
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
        """At the end of every input: a standby request deferred while we were in flux.
        (A pending shutdown begins in ``evaluate``, which ``finished`` always runs.)"""
        if self.standby.deferred is not None:
            self.standby.poll_deferred(now)

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
                decision.take_everything(self, "initial")
            else:
                self.legacy.start(now)
            return
        self.set_phase(Phase.STARTING, "communication up")
        self.send("starting", [], None)
        if peer is None:
            decision.take_everything(self, "initial")
        else:
            self.deadline_starting = now + STARTING_FALLBACK
            self.evaluate(now)

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

    def next_deadline(self) -> float | None:  # asked after every input: written flat
        best: float | None = None
        for t in (
            self.deadline_starting,
            self.deadline_failback,
            self.deadline_resume,
            self.standby.deadline,
            self.legacy.deadline,
        ):
            if t is not None and (best is None or t < best):
                best = t
        return best

    # -- graceful shutdown (``core.shutdown``) ---------------------------------------

    def shutdown(self, now: float, *, at_once: bool = False) -> None:
        """Begin the graceful shutdown; ``at_once``: nothing to release (communication
        not up, or no groups), ``shutdone`` goes out now."""
        shutdown.request(self, now, at_once=at_once)
