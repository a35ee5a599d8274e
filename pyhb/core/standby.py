"""The standby hand-over (``ask_resources``) and ``hb_takeover``, as a mixin of Ownership.

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

Imports stdlib, ``pyhb.config.model`` and the core's ``events`` and ``ownership_parts`` only.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from typing import TYPE_CHECKING

from pyhb.core.events import GroupAction, RscHold
from pyhb.core.ownership_parts import OwnershipPart

if TYPE_CHECKING:
    from pyhb.config.model import AutoFailback

STANDBY_REPLY_TIMEOUT = 10.0
STANDBY_TOTAL_TIMEOUT = 3600.0

MIRROR = {
    RscHold.ALL: RscHold.ALL,
    RscHold.LOCAL: RscHold.FOREIGN,
    RscHold.FOREIGN: RscHold.LOCAL,
}


class StandbyState(enum.Enum):
    NOT = "not"
    ME = "me"  # we asked to give up a set
    OTHER = "other"  # the peer asked; we agreed to take its set
    DONE = "done"  # we released our set and wait for the peer to finish


def parse_hold(word: str, *, failback: RscHold) -> RscHold | None:
    """A command-line or wire set word; ``failback`` maps as the caller says."""
    if word == "failback":
        return failback
    try:
        return RscHold(word)
    except ValueError:
        return None


class StandbyMixin(OwnershipPart):
    """Standby state and handlers; expects the attributes Ownership defines."""

    # provided by Ownership, besides ``OwnershipPart``
    local_claimed: bool
    foreign_claimed: bool
    mode: AutoFailback
    deadline_failback: float | None
    failback_armed: bool

    def keys_of(self, word: str, node: str) -> frozenset[str]:
        raise NotImplementedError

    def statement(
        self,
        *,
        stable: bool | None = None,
        info: str | None = None,
        held: Collection[str] | None = None,
    ) -> None:
        raise NotImplementedError

    def is_stable(self) -> bool:
        raise NotImplementedError

    def evaluate(self) -> None:
        raise NotImplementedError

    if TYPE_CHECKING:  # provided by ``core.monitored`` (a later base of Ownership)

        def eligible(self, keys: Collection[str], why: str) -> set[str]: ...

        def declines(self, peer: str, hold: RscHold) -> bool: ...

    def _init_standby(self) -> None:
        self.standby = StandbyState.NOT
        self.standby_hold = RscHold.NONE
        self.standby_deadline: float | None = None
        self.standby_auto = False
        self.deferred_request: tuple[str, RscHold, float] | None = None
        self.now = 0.0

    def standby_active(self) -> bool:
        return self.standby is not StandbyState.NOT

    # -- commands ----------------------------------------------------------------------

    def request_standby(self, hold: RscHold) -> str | None:
        """``hb_standby SET``: None when started, else why not."""
        from pyhb.config.model import AutoFailback  # noqa: PLC0415 - avoids a cycle

        if self.mode is AutoFailback.LEGACY:
            return "Standby mode only implemented when auto_failback is on or off"
        if not self.peer_alive or self.peer is None:
            return "no other node is active to take over"
        if self.standby_active():
            return "a standby is already in progress"
        if not self.is_stable():
            return "local resources in flux; try again when the transition is complete"
        self._log(logging.INFO, f"Going standby [{hold}].")
        self.start_standby(hold, auto=False)
        return None

    def request_takeover(self, hold: RscHold) -> str | None:
        """``hb_takeover SET`` (SET from our point of view): send ``hb_takeover
        rsc_hold=SET``; the peer goes standby on the mirrored set, or logs why it does not.
        None when sent, else why not."""
        if not self.peer_alive or self.peer is None:
            return "no other node is active"
        self._send("hb_takeover", [("rsc_hold", str(hold))], None)
        return None

    def start_standby(self, hold: RscHold, *, auto: bool) -> None:
        self.standby = StandbyState.ME
        self.standby_hold = hold
        self.standby_auto = auto
        self.standby_deadline = self.now + STANDBY_REPLY_TIMEOUT
        self._log(logging.INFO, f"{self.local} wants to go standby [{hold}]")
        self._send("ask_resources", [("rsc_hold", str(hold)), ("info", "me")], None)

    # -- messages ----------------------------------------------------------------------

    def on_hb_takeover(self, peer: str, word: str) -> None:
        """The peer wants SET (its view): we go standby on the mirror of it."""
        hold = parse_hold(word, failback=RscHold.LOCAL)
        if hold is None or hold is RscHold.NONE:
            return
        reason = self.request_standby(MIRROR[hold])
        if reason is not None:
            self._log(logging.WARNING, f"hb_takeover from {peer} not honoured: {reason}")

    def on_ask_resources(self, peer: str, word: str, info: str) -> None:
        hold = parse_hold(word, failback=RscHold.FOREIGN)
        if hold is None:
            return
        if info == "me":
            self._their_request(peer, hold)
        elif info == "other" and self.standby is StandbyState.ME:
            self._give_our_set(peer, hold)
        elif info == "done" and self.standby is StandbyState.OTHER:
            self._take_their_set(peer, hold)
        elif info == "done" and self.standby is StandbyState.DONE:
            self._log(logging.INFO, f"Other node completed standby takeover of {hold} resources.")
            self._finish()

    def _their_request(self, peer: str, hold: RscHold) -> None:
        if self.declines(peer, hold):
            return
        if self.standby_active():
            self._log(
                logging.INFO,
                f"standby message [me] from {peer} ignored.  local resources in flux.",
            )
            return
        if not self.is_stable():
            # Heartbeat drops the request and the peer's hb_standby silently times out;
            # answer it as soon as the local transition is over instead.
            self._log(
                logging.INFO,
                f"standby message [me] from {peer} deferred: local resources in flux.",
            )
            self.deferred_request = (peer, hold, self.now + STANDBY_REPLY_TIMEOUT)
            return
        self._log(logging.INFO, f"{peer} wants to go standby [{hold}]")
        self.standby = StandbyState.OTHER
        self.standby_hold = hold
        self.standby_deadline = self.now + STANDBY_TOTAL_TIMEOUT
        self._send("ask_resources", [("rsc_hold", str(hold)), ("info", "other")], None)

    def poll_deferred(self) -> None:
        """Answer a peer's standby request deferred while local resources were in flux."""
        pending = self.deferred_request
        if pending is None:
            return
        peer, hold, deadline = pending
        if not self.peer_alive or self.peer != peer or self.now >= deadline:
            self.deferred_request = None
            return
        if self.is_stable():
            self.deferred_request = None
            self._their_request(peer, hold)

    def _give_our_set(self, peer: str, hold: RscHold) -> None:
        self._log(logging.INFO, f"standby: {peer} can take our {hold} resources")
        give = self.keys_of(hold, self.local) & self.held
        # 3.0.6 holds words, not groups: giving up a set clears its claim even when no
        # haresources line falls into it (so giving up all leaves ``none``).
        if hold in (RscHold.ALL, RscHold.LOCAL):
            self.local_claimed = False
        if hold in (RscHold.ALL, RscHold.FOREIGN):
            self.foreign_claimed = False
        self.standby_deadline = self.now + STANDBY_TOTAL_TIMEOUT
        self.statement(stable=False, info="standby", held=self.held - give)
        self._log(logging.INFO, f"give up {hold} HA resources (standby).")

        def released(failed: frozenset[str]) -> None:
            if failed:
                self._stop_failed_in_standby(hold, give, failed)
                return
            self._log(logging.INFO, f"{hold} HA resource release completed (standby).")
            self.standby = StandbyState.DONE
            self._send("ask_resources", [("rsc_hold", str(hold)), ("info", "done")], None)
            self._log(logging.INFO, f"Local standby process completed [{hold}].")

        self.run(GroupAction.GIVE, give, "standby", released)

    def _stop_failed_in_standby(
        self, hold: RscHold, give: frozenset[str], failed: frozenset[str]
    ) -> None:
        """A group would not stop: it may still run here, so the peer must not start it.
        The hand-over is called off (no ``done``: the peer's side times out), the groups
        that did stop are taken back, and our statement claims the failed ones."""
        self._log(
            logging.CRITICAL,
            f"Standby [{hold}] cancelled: {', '.join(sorted(failed))} could not be stopped "
            "and stays here",
        )
        self.standby = StandbyState.NOT
        self.standby_deadline = None

        def retaken(_failed: frozenset[str]) -> None:
            self.statement()

        self.run(GroupAction.TAKE, give - failed, "standby cancelled", retaken)

    def _take_their_set(self, peer: str, hold: RscHold) -> None:
        self._log(logging.INFO, f"standby: acquire [{hold}] resources from {peer}")
        take = self.eligible(self.keys_of(hold, peer) - self.held, "standby")
        # The peer's foreign set is our local one and its local set our foreign one.
        if hold in (RscHold.ALL, RscHold.FOREIGN):
            self.local_claimed = True
        if hold in (RscHold.ALL, RscHold.LOCAL):
            self.foreign_claimed = True

        def acquired(_failed: frozenset[str]) -> None:
            self._log(logging.INFO, f"Standby resource acquisition done [{hold}].")
            self._send("ask_resources", [("rsc_hold", str(hold)), ("info", "done")], None)
            self._finish()

        self.run(GroupAction.TAKE, take, "standby", acquired)

    def _finish(self) -> None:
        self.failback_armed = False
        self.standby = StandbyState.NOT
        self.standby_deadline = None
        self.statement(stable=self.busy is None)

    def standby_timer(self, now: float) -> None:
        if self.standby_deadline is None or now < self.standby_deadline:
            return
        if self.standby is StandbyState.ME:
            self._log(logging.WARNING, "No reply to standby request.  Standby request cancelled.")
        else:
            self._log(logging.WARNING, "Standby hand-over timed out; cancelled.")
        self.cancel_standby()
        self.evaluate()

    def cancel_standby(self) -> None:
        if self.standby is StandbyState.ME and self.standby_auto:
            self.deadline_failback = self.now + 1.0
        self.standby = StandbyState.NOT
        self.standby_deadline = None

    def standby_peer_lost(self) -> None:
        """The peer died or restarted mid-hand-over: the dead-peer path takes over."""
        self.deferred_request = None
        self.standby = StandbyState.NOT
        self.standby_deadline = None
