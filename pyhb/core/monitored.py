"""Resource monitoring's part of ``Ownership`` (``Monitored``, reaching its owner only
through ``MonitoredOwner``): restarts in place, hand-over of a group
that keeps failing, and the rule that a node does not take back a group that failed
there until an operator clears it (docs/monitoring.md).

- ``failure`` (a ``MonitorFailure`` command): restart the failed resource and every one
  after it in its group (one ``RESTART`` operation: stop right to left, start left to
  right; ``Ownership.restart``) or, with
  ``move``, hand the group to the peer the way ``hb_standby`` would (``auto_failback``
  on/off: ``ask_resources`` for the group's set; legacy: stop it, then
  ``ip-request-resp`` telling the peer to take it, which 3.0.6's rc.d script obeys).
  With no active peer the group stays and is restarted, and the log says so loudly.
- ``banned``: groups handed over after failing here. They are not taken back, by
  auto_failback, a dead peer's takeover or the peer's hand-over, until ``cleanup`` (or an
  explicit ``hb_takeover``, which clears the groups it names).

Imports stdlib, ``pyhb.config.model`` and the core's ``events`` and ``owner`` only
(``standby`` and ``legacy`` for types).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, Protocol

from pyhb.config.model import AutoFailback, ResourceGroup
from pyhb.core.events import RscHold
from pyhb.core.owner import Owner

if TYPE_CHECKING:
    from pyhb.core.legacy import Legacy
    from pyhb.core.standby import Standby


class MonitoredOwner(Owner, Protocol):
    """What ``Monitored`` needs of the node's ownership besides ``Owner``."""

    peer_hold: frozenset[str]
    groups: dict[str, ResourceGroup]
    local_keys: frozenset[str]
    mode: AutoFailback
    state: dict[str, str]
    errors: dict[str, str]
    banned: set[str]
    standby: Standby
    legacy: Legacy

    def keys_of(self, word: str, node: str) -> frozenset[str]: ...

    def word(self, held: Collection[str] | None = None) -> RscHold: ...

    def is_stable(self) -> bool: ...

    def restart(self, tail: ResourceGroup, reason: str) -> None: ...


class Monitored:
    """Monitoring decisions; ``banned`` is the owner's set of groups that failed here."""

    def __init__(self, owner: MonitoredOwner) -> None:
        self.own = owner

    def eligible(self, keys: Collection[str], why: str) -> set[str]:
        """``keys`` but the groups that failed here (logged as left alone)."""
        banned = self.own.banned
        refused = sorted(set(keys) & banned)
        if refused:
            self.own.log_line(
                logging.CRITICAL,
                f"Resource group {', '.join(refused)} failed on this node: not taken "
                f"({why}) until an operator clears it (pyhb cleanup)",
            )
        return set(keys) - banned

    def declines(self, peer: str, hold: RscHold) -> bool:
        """The peer offers its set ``hold`` (standby, auto_failback): declined, unanswered,
        when it holds a group that failed here; the peer keeps the set."""
        own = self.own
        refused = sorted(own.keys_of(hold, peer) & own.peer_hold & own.banned)
        if refused:
            own.log_line(
                logging.WARNING,
                f"standby message [me] from {peer} declined: {', '.join(refused)} failed on "
                "this node (pyhb cleanup)",
            )
        return bool(refused)

    # -- monitor verdicts ----------------------------------------------------------------

    def failure(self, key: str, first: int, move: bool, reason: str, now: float) -> str | None:
        """A monitored resource of ``key`` failed; None when acted on, else why not."""
        own = self.own
        if key not in own.held or own.state.get(key) != "running":
            return f"resource group {key} is not running here"
        if own.busy is not None or own.standby.active():
            return "resources in transition"
        if move:
            refusal = self._move_refusal()
            if refusal is None:
                self._hand_over(key, reason, now)
                return None
            own.log_line(
                logging.CRITICAL,
                f"Resource group {key}: {reason}; it cannot be handed over ({refusal}): "
                "it stays here and is restarted again",
            )
        group = own.groups[key]
        tail = dataclasses.replace(group, resources=group.resources[first:])
        own.log_line(
            logging.WARNING,
            f"Resource group {key}: {reason}; restarting "
            f"{' '.join(r.text for r in tail.resources)}",
        )
        own.restart(tail, f"monitor: {reason}")
        return None

    def _move_refusal(self) -> str | None:
        if not self.own.peer_alive or self.own.peer is None:
            return "no other node is active"
        if self.own.mode is not AutoFailback.LEGACY and not self.own.is_stable():
            return "local resources in flux"
        return None

    def _hand_over(self, key: str, reason: str, now: float) -> None:
        own = self.own
        own.banned.add(key)
        own.errors[key] = "monitor: failed here"
        if own.mode is AutoFailback.LEGACY:
            own.log_line(
                logging.CRITICAL,
                f"Resource group {key}: {reason}; handing it over to {own.peer}",
            )
            own.legacy.hand_back(key)
            own.evaluate(now)
            return
        hold = own.word({key})
        moving = sorted(own.keys_of(hold, own.local) & own.held)
        own.log_line(
            logging.CRITICAL,
            f"Resource group {key}: {reason}; handing it over to {own.peer} "
            f"(standby [{hold}]: {', '.join(moving)})",
        )
        own.standby.start(hold, now, auto=False)

    def restart_finished(self, keys: Collection[str], failed: Collection[str]) -> None:
        """A ``RESTART`` operation reported back. A restart that failed leaves the group
        here; the next failed check counts against it (and so moves it in the end)."""
        own = self.own
        for key in keys:
            own.state[key] = "running"
            if key in failed:
                own.errors[key] = "monitor: restart failed"
                own.log_line(logging.CRITICAL, f"Resource group {key}: restart failed")
            else:
                own.errors.pop(key, None)
                own.log_line(logging.INFO, f"Resource group {key}: restart completed")

    # -- operators -----------------------------------------------------------------------

    def cleanup(self, key: str | None, now: float) -> str | None:
        """``pyhb cleanup [GROUP]``: GROUP may run here again; None when done."""
        own = self.own
        if key is not None and key not in own.groups:
            return f"no resource group {key!r} (groups: {', '.join(own.groups) or 'none'})"
        keys = set(own.groups) if key is None else {key}
        cleared = own.banned & keys
        own.banned -= keys
        for k in keys:
            if own.errors.get(k, "").startswith("monitor:"):
                del own.errors[k]
        names = ", ".join(sorted(cleared)) or "nothing"
        own.log_line(logging.INFO, f"Cleanup: failures of {names} cleared")
        back = (cleared & own.local_keys) - own.held
        if back and own.peer_alive:
            if own.mode is AutoFailback.ON and back & own.peer_hold:
                own.standby.request_takeover(RscHold.LOCAL)  # our groups come home
            elif own.mode is AutoFailback.LEGACY:
                own.legacy.ask(back, now)
        own.evaluate(now)
        return None

    def takeover_clears(self, hold: RscHold) -> None:
        """An explicit ``hb_takeover`` clears the failures of the groups it asks for."""
        own = self.own
        keys = own.keys_of(hold, own.local) & own.banned
        if keys:
            own.banned -= keys
            own.log_line(
                logging.INFO, f"hb_takeover: failures of {', '.join(sorted(keys))} cleared"
            )
