"""Resource monitoring's part of ``Ownership``: restarts in place, hand-over of a group
that keeps failing, and the rule that a node does not take back a group that failed
there until an operator clears it (docs/monitoring.md).

- ``monitor_failure``: restart the failed resource and every one after it in its group
  (one ``RESTART`` operation: stop right to left, start left to right) or, with
  ``move``, hand the group to the peer the way ``hb_standby`` would (``auto_failback``
  on/off: ``ask_resources`` for the group's set; legacy: stop it, then
  ``ip-request-resp`` telling the peer to take it, which 3.0.6's rc.d script obeys).
  With no active peer the group stays and is restarted, and the log says so loudly.
- ``banned``: groups handed over after failing here. They are not taken back, by
  auto_failback, a dead peer's takeover or the peer's hand-over, until ``cleanup`` (or an
  explicit ``hb_takeover``, which clears the groups it names).

Imports stdlib, ``pyhb.config.model`` and ``pyhb.core.events`` only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from pyhb.core.events import GroupAction, RscHold
from pyhb.core.ownership_parts import OwnershipPart

if TYPE_CHECKING:
    from pyhb.config.model import AutoFailback, ResourceGroup


class MonitorMixin(OwnershipPart):
    """Monitoring decisions; expects the attributes Ownership defines."""

    # provided by Ownership, besides ``OwnershipPart``
    groups: dict[str, ResourceGroup]
    local_keys: frozenset[str]
    mode: AutoFailback
    state: dict[str, str]
    errors: dict[str, str]
    peer_hold: frozenset[str]
    legacy_handback: set[str]
    legacy_wanted: set[str]
    legacy_confirm: set[str]
    legacy_grants: set[str]
    _run_effect: Callable[[GroupAction, tuple[ResourceGroup, ...], str, bool], int]

    def is_stable(self) -> bool:
        raise NotImplementedError

    def standby_active(self) -> bool:
        raise NotImplementedError

    def word(self, held: Collection[str] | None = None) -> RscHold:
        raise NotImplementedError

    def start_standby(self, hold: RscHold, *, auto: bool) -> None:
        raise NotImplementedError

    def request_takeover(self, hold: RscHold) -> str | None:
        raise NotImplementedError

    def keys_of(self, word: str, node: str) -> frozenset[str]:
        raise NotImplementedError

    def _legacy_ask(self, keys: Collection[str], now: float) -> None:
        raise NotImplementedError

    def evaluate(self) -> None:
        raise NotImplementedError

    def _init_monitor(self) -> None:
        self.banned: set[str] = set()

    def eligible(self, keys: Collection[str], why: str) -> set[str]:
        """``keys`` but the groups that failed here (logged as left alone)."""
        refused = sorted(set(keys) & self.banned)
        if refused:
            self._log(
                logging.CRITICAL,
                f"Resource group {', '.join(refused)} failed on this node: not taken "
                f"({why}) until an operator clears it (pyhb cleanup)",
            )
        return set(keys) - self.banned

    def declines(self, peer: str, hold: RscHold) -> bool:
        """The peer offers its set ``hold`` (standby, auto_failback): declined, unanswered,
        when it holds a group that failed here; the peer keeps the set."""
        refused = sorted(self.keys_of(hold, peer) & self.peer_hold & self.banned)
        if refused:
            self._log(
                logging.WARNING,
                f"standby message [me] from {peer} declined: {', '.join(refused)} failed on "
                "this node (pyhb cleanup)",
            )
        return bool(refused)

    # -- monitor verdicts ----------------------------------------------------------------

    def monitor_failure(self, key: str, first: int, move: bool, reason: str) -> str | None:
        """A monitored resource of ``key`` failed; None when acted on, else why not."""
        if key not in self.held or self.state.get(key) != "running":
            return f"resource group {key} is not running here"
        if self.busy is not None or self.standby_active():
            return "resources in transition"
        if move:
            refusal = self._move_refusal()
            if refusal is None:
                self._hand_over(key, reason)
                return None
            self._log(
                logging.CRITICAL,
                f"Resource group {key}: {reason}; it cannot be handed over ({refusal}): "
                "it stays here and is restarted again",
            )
        self._restart(key, first, reason)
        return None

    def _move_refusal(self) -> str | None:
        from pyhb.config.model import AutoFailback  # noqa: PLC0415 - avoids a cycle

        if not self.peer_alive or self.peer is None:
            return "no other node is active"
        if self.mode is not AutoFailback.LEGACY and not self.is_stable():
            return "local resources in flux"
        return None

    def _hand_over(self, key: str, reason: str) -> None:
        from pyhb.config.model import AutoFailback  # noqa: PLC0415 - avoids a cycle

        self.banned.add(key)
        self.errors[key] = "monitor: failed here"
        if self.mode is AutoFailback.LEGACY:
            self._log(
                logging.CRITICAL,
                f"Resource group {key}: {reason}; handing it over to {self.peer}",
            )
            for pending in (self.legacy_wanted, self.legacy_confirm, self.legacy_grants):
                pending.discard(key)  # never asked for again: it is the peer's now
            self.legacy_handback.add(key)
            self.evaluate()
            return
        hold = self.word({key})
        moving = sorted(self.keys_of(hold, self.local) & self.held)
        self._log(
            logging.CRITICAL,
            f"Resource group {key}: {reason}; handing it over to {self.peer} "
            f"(standby [{hold}]: {', '.join(moving)})",
        )
        self.start_standby(hold, auto=False)

    def _restart(self, key: str, first: int, reason: str) -> None:
        from pyhb.core.ownership import Op  # noqa: PLC0415 - avoids a cycle

        group = self.groups[key]
        tail = dataclasses.replace(group, resources=group.resources[first:])
        self._log(
            logging.WARNING,
            f"Resource group {key}: {reason}; restarting "
            f"{' '.join(r.text for r in tail.resources)}",
        )
        self.state[key] = "restarting"
        op_id = self._run_effect(GroupAction.RESTART, (tail,), f"monitor: {reason}", False)
        self.busy = Op(op_id, GroupAction.RESTART, (key,), lambda _failed: None)

    def restart_finished(self, keys: Collection[str], failed: Collection[str]) -> None:
        """A ``RESTART`` operation reported back. A restart that failed leaves the group
        here; the next failed check counts against it (and so moves it in the end)."""
        for key in keys:
            self.state[key] = "running"
            if key in failed:
                self.errors[key] = "monitor: restart failed"
                self._log(logging.CRITICAL, f"Resource group {key}: restart failed")
            else:
                self.errors.pop(key, None)
                self._log(logging.INFO, f"Resource group {key}: restart completed")

    # -- operators -----------------------------------------------------------------------

    def cleanup(self, key: str | None) -> str | None:
        """``pyhb cleanup [GROUP]``: GROUP may run here again; None when done."""
        from pyhb.config.model import AutoFailback  # noqa: PLC0415 - avoids a cycle

        if key is not None and key not in self.groups:
            return f"no resource group {key!r} (groups: {', '.join(self.groups) or 'none'})"
        keys = set(self.groups) if key is None else {key}
        cleared = self.banned & keys
        self.banned -= keys
        for k in keys:
            if self.errors.get(k, "").startswith("monitor:"):
                del self.errors[k]
        names = ", ".join(sorted(cleared)) or "nothing"
        self._log(logging.INFO, f"Cleanup: failures of {names} cleared")
        back = (cleared & self.local_keys) - self.held
        if back and self.peer_alive:
            if self.mode is AutoFailback.ON and back & self.peer_hold:
                self.request_takeover(RscHold.LOCAL)  # auto_failback: our groups come home
            elif self.mode is AutoFailback.LEGACY:
                self._legacy_ask(back, self.now)
        self.evaluate()
        return None

    def takeover_clears(self, hold: RscHold) -> None:
        """An explicit ``hb_takeover`` clears the failures of the groups it asks for."""
        keys = self.keys_of(hold, self.local) & self.banned
        if keys:
            self.banned -= keys
            self._log(logging.INFO, f"hb_takeover: failures of {', '.join(sorted(keys))} cleared")
