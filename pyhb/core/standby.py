"""The standby hand-over (``ask_resources``) and ``hb_takeover``: ``Standby``, a part of
``Ownership`` that reaches its owner only through ``StandbyOwner``.

Protocol (hb_resource.c; docs/protocol.md#standby-and-takeover); ``rsc_hold`` is the set being given
up, from the requester R's point of view:

    R: ask_resources info=me      O: (if stable) ask_resources info=other
    R: resource ... isstable=0 info=standby; release the set; ask_resources info=done
    O: take the set; ask_resources info=done; resource ... isstable=1
    R: resource ... isstable=1

Messages go out the moment they can (3.0.6 waits for its heartbeat tick), so a
hand-over costs the scripts' time plus a few round trips. A request that reaches O during
its own transition is answered when the transition ends, within ``STANDBY_REPLY_TIMEOUT``
(3.0.6 drops it). ``hb_takeover SET`` asks
the peer to go standby on the mirrored set; ``failback`` there means "give me my own
groups back" (3.0.6 made the peer give up everything).

The hand-over's own states (NOT, ME, OTHER, DONE) move only as
``negotiation.STANDBY_TRANSITIONS`` allows. Imports stdlib, ``pyhb.config.model`` and the
core's ``events``, ``negotiation`` and ``owner`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Protocol

from pyhb.config.model import AutoFailback
from pyhb.core.events import GroupAction, RscHold
from pyhb.core.negotiation import STANDBY_TRANSITIONS, Machine, StandbyState
from pyhb.core.owner import Owner

STANDBY_REPLY_TIMEOUT = 10.0
STANDBY_TOTAL_TIMEOUT = 3600.0

MIRROR = {
    RscHold.ALL: RscHold.ALL,
    RscHold.LOCAL: RscHold.FOREIGN,
    RscHold.FOREIGN: RscHold.LOCAL,
}


def parse_hold(word: str, *, failback: RscHold) -> RscHold | None:
    """A command-line or wire set word; ``failback`` maps as the caller says."""
    if word == "failback":
        return failback
    try:
        return RscHold(word)
    except ValueError:
        return None


class StandbyOwner(Owner, Protocol):
    """What ``Standby`` needs of the node's ownership besides ``Owner``."""

    mode: AutoFailback
    local_claimed: bool
    foreign_claimed: bool
    failback_armed: bool
    deadline_failback: float | None

    def keys_of(self, word: str, node: str) -> frozenset[str]: ...

    def statement(
        self,
        *,
        stable: bool | None = None,
        info: str | None = None,
        held: Collection[str] | None = None,
    ) -> None: ...

    def is_stable(self) -> bool: ...

    def declines(self, peer: str, hold: RscHold) -> bool: ...


class Standby:
    """One node's side of standby hand-overs."""

    def __init__(self, owner: StandbyOwner) -> None:
        self.own = owner
        self._machine = Machine("standby", StandbyState.NOT, STANDBY_TRANSITIONS)
        self.hold = RscHold.NONE
        self.deadline: float | None = None
        self.auto = False
        self.deferred: tuple[str, RscHold, float] | None = None

    @property
    def state(self) -> StandbyState:
        return self._machine.state

    def active(self) -> bool:
        return self.state is not StandbyState.NOT

    def _end(self, why: str) -> None:
        self._machine.move(StandbyState.NOT, why)
        self.deadline = None

    # -- commands ----------------------------------------------------------------------

    def request(self, hold: RscHold, now: float) -> str | None:
        """``hb_standby SET``: None when started, else why not."""
        own = self.own
        if own.mode is AutoFailback.LEGACY:
            return "Standby mode only implemented when auto_failback is on or off"
        if not own.peer_alive or own.peer is None:
            return "no other node is active to take over"
        if self.active():
            return "a standby is already in progress"
        if not own.is_stable():
            return "local resources in flux; try again when the transition is complete"
        own.log_line(logging.INFO, f"Going standby [{hold}].")
        self.start(hold, now, auto=False)
        return None

    def request_takeover(self, hold: RscHold) -> str | None:
        """``hb_takeover SET`` (SET from our point of view): send ``hb_takeover
        rsc_hold=SET``; the peer goes standby on the mirrored set, or logs why it does not.
        None when sent, else why not."""
        if not self.own.peer_alive or self.own.peer is None:
            return "no other node is active"
        self.own.send("hb_takeover", [("rsc_hold", str(hold))], None)
        return None

    def start(self, hold: RscHold, now: float, *, auto: bool) -> None:
        self._machine.move(StandbyState.ME, "auto_failback" if auto else "going standby")
        self.hold = hold
        self.auto = auto
        self.deadline = now + STANDBY_REPLY_TIMEOUT
        self.own.log_line(logging.INFO, f"{self.own.local} wants to go standby [{hold}]")
        self._ask(hold, "me")

    def _ask(self, hold: RscHold, info: str) -> None:
        self.own.send("ask_resources", [("rsc_hold", str(hold)), ("info", info)], None)

    # -- messages ----------------------------------------------------------------------

    def on_hb_takeover(self, peer: str, word: str, now: float) -> None:
        """The peer wants SET (its view): we go standby on the mirror of it."""
        hold = parse_hold(word, failback=RscHold.LOCAL)
        if hold is None or hold is RscHold.NONE:
            return
        reason = self.request(MIRROR[hold], now)
        if reason is not None:
            self.own.log_line(logging.WARNING, f"hb_takeover from {peer} not honoured: {reason}")

    def on_ask_resources(self, peer: str, word: str, info: str, now: float) -> None:
        hold = parse_hold(word, failback=RscHold.FOREIGN)
        if hold is None:
            return
        if info == "me":
            self._their_request(peer, hold, now)
        elif info == "other" and self.state is StandbyState.ME:
            self._give_our_set(peer, hold, now)
        elif info == "done" and self.state is StandbyState.OTHER:
            self._take_their_set(peer, hold)
        elif info == "done" and self.state is StandbyState.DONE:
            self.own.log_line(
                logging.INFO, f"Other node completed standby takeover of {hold} resources."
            )
            self._finish()

    def _their_request(self, peer: str, hold: RscHold, now: float) -> None:
        own = self.own
        if own.declines(peer, hold):
            return
        if self.active():
            own.log_line(
                logging.INFO,
                f"standby message [me] from {peer} ignored.  local resources in flux.",
            )
            return
        if not own.is_stable():
            # Heartbeat drops the request and the peer's hb_standby silently times out;
            # answer it as soon as the local transition is over instead.
            own.log_line(
                logging.INFO,
                f"standby message [me] from {peer} deferred: local resources in flux.",
            )
            self.deferred = (peer, hold, now + STANDBY_REPLY_TIMEOUT)
            return
        own.log_line(logging.INFO, f"{peer} wants to go standby [{hold}]")
        self._machine.move(StandbyState.OTHER, f"{peer} goes standby")
        self.hold = hold
        self.deadline = now + STANDBY_TOTAL_TIMEOUT
        self._ask(hold, "other")

    def poll_deferred(self, now: float) -> None:
        """Answer a peer's standby request deferred while local resources were in flux."""
        pending = self.deferred
        if pending is None:
            return
        peer, hold, deadline = pending
        if not self.own.peer_alive or self.own.peer != peer or now >= deadline:
            self.deferred = None
            return
        if self.own.is_stable():
            self.deferred = None
            self._their_request(peer, hold, now)

    def _give_our_set(self, peer: str, hold: RscHold, now: float) -> None:
        own = self.own
        own.log_line(logging.INFO, f"standby: {peer} can take our {hold} resources")
        give = own.keys_of(hold, own.local) & own.held
        # 3.0.6 holds words, not groups: giving up a set clears its claim even when no
        # haresources line falls into it (so giving up all leaves ``none``).
        if hold in (RscHold.ALL, RscHold.LOCAL):
            own.local_claimed = False
        if hold in (RscHold.ALL, RscHold.FOREIGN):
            own.foreign_claimed = False
        self.deadline = now + STANDBY_TOTAL_TIMEOUT
        own.statement(stable=False, info="standby", held=own.held - give)
        own.log_line(logging.INFO, f"give up {hold} HA resources (standby).")

        def released(failed: frozenset[str]) -> None:
            if self.state is not StandbyState.ME:
                return  # called off meanwhile (the peer was lost): nothing to tell it
            if failed:
                self._stop_failed(hold, give, failed)
                return
            own.log_line(logging.INFO, f"{hold} HA resource release completed (standby).")
            self._machine.move(StandbyState.DONE, "our set released")
            self._ask(hold, "done")
            own.log_line(logging.INFO, f"Local standby process completed [{hold}].")

        own.run(GroupAction.GIVE, give, "standby", released)

    def _stop_failed(self, hold: RscHold, give: frozenset[str], failed: frozenset[str]) -> None:
        """A group would not stop: it may still run here, so the peer must not start it.
        The hand-over is called off (no ``done``: the peer's side times out), the groups
        that did stop are taken back, and our statement claims the failed ones."""
        own = self.own
        own.log_line(
            logging.CRITICAL,
            f"Standby [{hold}] cancelled: {', '.join(sorted(failed))} could not be stopped "
            "and stays here",
        )
        self._end("a group would not stop")

        def retaken(_failed: frozenset[str]) -> None:
            own.statement()

        own.run(GroupAction.TAKE, give - failed, "standby cancelled", retaken)

    def _take_their_set(self, peer: str, hold: RscHold) -> None:
        own = self.own
        own.log_line(logging.INFO, f"standby: acquire [{hold}] resources from {peer}")
        take = own.eligible(own.keys_of(hold, peer) - own.held, "standby")
        # The peer's foreign set is our local one and its local set our foreign one.
        if hold in (RscHold.ALL, RscHold.FOREIGN):
            own.local_claimed = True
        if hold in (RscHold.ALL, RscHold.LOCAL):
            own.foreign_claimed = True

        def acquired(_failed: frozenset[str]) -> None:
            own.log_line(logging.INFO, f"Standby resource acquisition done [{hold}].")
            self._ask(hold, "done")
            self._finish()

        own.run(GroupAction.TAKE, take, "standby", acquired)

    def _finish(self) -> None:
        self.own.failback_armed = False
        self._end("hand-over complete")
        self.own.statement(stable=self.own.busy is None)

    def timer(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        if self.state is StandbyState.ME:
            self.own.log_line(
                logging.WARNING, "No reply to standby request.  Standby request cancelled."
            )
        else:
            self.own.log_line(logging.WARNING, "Standby hand-over timed out; cancelled.")
        self.cancel(now)
        self.own.evaluate(now)

    def cancel(self, now: float) -> None:
        if self.state is StandbyState.ME and self.auto:
            self.own.deadline_failback = now + 1.0
        self._end("cancelled")

    def peer_lost(self) -> None:
        """The peer died or restarted mid-hand-over: the dead-peer path takes over."""
        self.deferred = None
        self._end("peer lost")
