"""``auto_failback legacy`` (heartbeat's default): groups move by ip-request, one by one.

What 3.0.6 does (req_resource, rc.d/ip-request, rc.d/ip-request-resp, mach_down):

- On communication up a node asks for each of its own groups with ``ip-request
  ipaddr=KEY`` (alone, it simply takes everything). The node holding KEY stops it, then
  answers ``ip-request-resp dest=<asker> ipaddr=KEY weown=yes|no ok=OK``; the asker
  takes KEY on that answer. There is no ``starting``/``resource`` traffic and no
  standby (``hb_standby`` is refused).
- A dead or stopped peer's groups are taken at once, as in the other modes.
- Hence a group always goes back to its haresources node when that node joins or
  returns: the node holding it stops it, then the returning node starts it (there is
  no setting to keep it where it is; that is what ``auto_failback off`` is for).

What pyhb adds so that every group ends with exactly one owner:

- Requests are answered only once the answering node has finished what it was doing
  (its start-up clean-up, a takeover under way): never ``weown=no`` while a copy runs.
- A request not answered (lost, or the peer was busy starting) is asked again every
  ``REQUEST_RETRY`` seconds while the peer is up. A ``weown=no`` answer is checked once
  more ``REQUEST_RETRY`` later: a 3.0.6 peer answers from what runs at that instant,
  and its takeover of a dead node's groups (mach_down) may still be starting the group;
  asked again, it stops that copy.
- When the peer returns after a partition, or we resume after a freeze, both may hold a
  group: each node hands the other's groups back (stop, then ``ip-request-resp`` telling
  the group's node to take it, which a 3.0.6 node's rc.d script also obeys) and asks
  for its own again.

Operator-level summary: docs/ownership.md.
Imports stdlib, ``pyhb.config.model`` and the core's ``events`` and ``ownership_parts`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyhb.config.model import ResourceGroup
from pyhb.core.events import GroupAction
from pyhb.core.ownership_parts import OwnershipPart

REQUEST_RETRY = 2.0  # seconds between repeats of an unanswered ip-request


@dataclass(frozen=True, slots=True)
class LegacyRelease:
    """A group to stop for ``node``; ``answer``: it asked (ip-request) and waits for our
    ip-request-resp, rather than taking the group itself."""

    node: str
    answer: bool


class LegacyMixin(OwnershipPart):
    """The ip-request protocol; mixed into ``Ownership``, which provides the rest."""

    # provided by Ownership, besides ``OwnershipPart``
    groups: dict[str, ResourceGroup]
    local_keys: frozenset[str]
    foreign_keys: frozenset[str]

    def _init_legacy(self) -> None:
        self.legacy_wanted: set[str] = set()  # our groups asked for, not answered yet
        self.legacy_grants: set[str] = set()  # answered: ours to take
        self.legacy_releases: dict[str, LegacyRelease] = {}  # to stop: key -> for whom
        self.legacy_handback: set[str] = set()  # the peer's groups to give back to it
        self.legacy_confirm: set[str] = set()  # answered weown=no: asked once more
        self.legacy_deadline: float | None = None
        self.legacy_ready = False  # start-up clean-up done: requests may be answered

    def legacy_start(self, now: float) -> None:
        """Communication is up and the peer is alive: stop stale copies of the peer's
        groups (a restart in place may have left them running), then ask for ours."""

        def cleaned(_failed: frozenset[str]) -> None:
            self.legacy_ready = True
            self._legacy_ask(self.eligible(set(self.local_keys) - self.held, "start"), now)

        self.run(GroupAction.GIVE, self.foreign_keys, "startup cleanup", cleaned, only_running=True)

    def legacy_reconcile(self) -> None:
        """Ownership was in doubt (the peer returned, we resumed): give the peer's groups
        back to it, and ask for all of ours, held or not, so that its copy stops."""
        if not self.peer_alive or not self.legacy_ready:
            return
        self.legacy_handback |= self.held & self.foreign_keys
        self._legacy_ask(self.eligible(self.local_keys, "reconcile"), self.now)

    def legacy_forget_peer(self) -> None:
        """The peer is gone: nothing to ask of it or answer to it."""
        self.legacy_wanted.clear()
        self.legacy_releases.clear()
        self.legacy_handback.clear()
        self.legacy_confirm.clear()
        self.legacy_deadline = None

    def _legacy_ask(self, keys: Collection[str], now: float) -> None:
        self.legacy_wanted |= set(keys)
        for key in sorted(keys):
            self._send("ip-request", [("ipaddr", key)], None)
        self.legacy_deadline = now + REQUEST_RETRY if self.legacy_wanted else None

    def legacy_timer(self, now: float) -> None:
        if self.legacy_deadline is None or now < self.legacy_deadline:
            return
        self.legacy_deadline = None
        if self.peer_alive and self.legacy_wanted:
            self._legacy_ask(set(self.legacy_wanted), now)

    # -- messages ----------------------------------------------------------------------

    def on_ip_request(self, peer: str, key: str) -> None:
        """The peer asks for ``key``: release it if we hold it, then answer."""
        if key in self.groups:
            self.peer = peer
            self.legacy_releases[key] = LegacyRelease(peer, answer=True)
            self.legacy_wanted.discard(key)  # it is the peer's now
            self.evaluate()

    def on_ip_request_resp(
        self, peer: str, dest: str | None, key: str, ok: str | None, weown: str | None = None
    ) -> None:
        """The holder released ``key`` to ``dest`` (or a peer hands it back): take it.

        Addressed to the peer that sent it, it is a 3.0.6 node granting one of its own
        groups to itself because it counted no other active node when its communication
        came up: it starts the group whatever we do, so our copy stops."""
        if ok != "OK" or key not in self.groups:
            return
        if dest is not None and dest == peer != self.local:
            self._legacy_yield(peer, key)
            return
        if dest != self.local:
            return
        if weown == "no" and key in self.legacy_wanted and key not in self.legacy_confirm:
            self.legacy_confirm.add(key)  # still wanted: asked once more at the next retry
        else:
            self.legacy_confirm.discard(key)
            self.legacy_wanted.discard(key)
        if not self.legacy_wanted:
            self.legacy_deadline = None
        if key not in self.held and self.eligible({key}, "ip-request-resp"):
            self.legacy_grants.add(key)
        self.evaluate()

    def _legacy_yield(self, peer: str, key: str) -> None:
        self.legacy_wanted.discard(key)
        self.legacy_grants.discard(key)
        self.legacy_handback.discard(key)
        if key in self.held or self.busy is not None:
            self._log(
                logging.WARNING,
                f"{peer} takes resource group {key} without asking: stopping our copy",
            )
            self.legacy_releases[key] = LegacyRelease(peer, answer=False)
            self.evaluate()

    # -- decisions ---------------------------------------------------------------------

    def legacy_step(self) -> None:
        """One operation at a time: releases asked of us first, then takes, then
        hand-backs."""
        if self.busy is not None or not self.legacy_ready:
            return
        if self.legacy_releases:
            asked, self.legacy_releases = self.legacy_releases, {}
            give = {k for k in asked if k in self.held}
            for key in sorted(set(asked) - give):
                if asked[key].answer:
                    self._answer(asked[key].node, key, "no")

            def released(failed: frozenset[str]) -> None:
                for key in sorted(give - failed):  # a group that would not stop stays ours
                    if asked[key].answer:
                        self._answer(asked[key].node, key, "yes")

            if give:
                for key in sorted(give):
                    self._log(logging.INFO, f"Releasing resource group {key} to {asked[key].node}")
                self.run(GroupAction.GIVE, give, "ip-request", released)
                return
        take = self.legacy_grants - self.held
        self.legacy_grants.clear()
        if take:
            self.run(GroupAction.TAKE, take, "ip-request-resp", self._took)
            return
        back = self.legacy_handback & self.held
        self.legacy_handback.clear()
        if back and self.peer is not None:
            peer = self.peer

            def handed(failed: frozenset[str]) -> None:
                for key in sorted(back - failed):
                    self._answer(peer, key, "yes")

            self._log(
                logging.INFO,
                f"Giving resource group {', '.join(sorted(back))} back to {peer}",
            )
            self.run(GroupAction.GIVE, back, "hand back", handed)

    def _took(self, _failed: frozenset[str]) -> None:
        self._log(logging.INFO, "Initial resource acquisition complete (ip-request-resp)")

    def _answer(self, peer: str, key: str, weown: str) -> None:
        self._send("ip-request-resp", [("ipaddr", key), ("weown", weown), ("ok", "OK")], peer)

    def evaluate(self) -> None:
        raise NotImplementedError

    if TYPE_CHECKING:  # provided by ``core.monitored`` (a later base of Ownership)

        def eligible(self, keys: Collection[str], why: str) -> set[str]: ...
