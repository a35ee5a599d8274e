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

``Legacy`` is a part of ``Ownership`` that reaches its owner only through ``LegacyOwner``.
Operator-level summary: docs/ownership.md.
Imports stdlib, ``pyhb.config.model`` and the core's ``events`` and ``owner`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from pyhb.config.model import ResourceGroup
from pyhb.core.events import GroupAction
from pyhb.core.owner import Owner

REQUEST_RETRY = 2.0  # seconds between repeats of an unanswered ip-request


@dataclass(frozen=True, slots=True)
class LegacyRelease:
    """A group to stop for ``node``; ``answer``: it asked (ip-request) and waits for our
    ip-request-resp, rather than taking the group itself."""

    node: str
    answer: bool


class LegacyOwner(Owner, Protocol):
    """What ``Legacy`` needs of the node's ownership besides ``Owner``."""

    groups: dict[str, ResourceGroup]
    local_keys: frozenset[str]
    foreign_keys: frozenset[str]


class Legacy:
    """The ip-request protocol of one node."""

    def __init__(self, owner: LegacyOwner) -> None:
        self.own = owner
        self.wanted: set[str] = set()  # our groups asked for, not answered yet
        self.grants: set[str] = set()  # answered: ours to take
        self.releases: dict[str, LegacyRelease] = {}  # to stop: key -> for whom
        self.handback: set[str] = set()  # the peer's groups to give back to it
        self.confirm: set[str] = set()  # answered weown=no: asked once more
        self.deadline: float | None = None
        self.ready = False  # start-up clean-up done: requests may be answered

    def start(self, now: float) -> None:
        """Communication is up and the peer is alive: stop stale copies of the peer's
        groups (a restart in place may have left them running), then ask for ours."""
        own = self.own

        def cleaned(_failed: frozenset[str]) -> None:
            self.ready = True
            self.ask(own.eligible(set(own.local_keys) - own.held, "start"), now)

        own.clean_up(own.foreign_keys, cleaned)

    def reconcile(self, now: float) -> None:
        """Ownership was in doubt (the peer returned, we resumed): give the peer's groups
        back to it, and ask for all of ours, held or not, so that its copy stops."""
        own = self.own
        if not own.peer_alive or not self.ready:
            return
        self.handback |= own.held & own.foreign_keys
        self.ask(own.eligible(own.local_keys, "reconcile"), now)

    def forget_peer(self) -> None:
        """The peer is gone: nothing to ask of it or answer to it."""
        self.wanted.clear()
        self.releases.clear()
        self.handback.clear()
        self.confirm.clear()
        self.deadline = None

    def hand_back(self, key: str) -> None:
        """``key`` is the peer's from now on: never asked for again, given back to it."""
        for pending in (self.wanted, self.confirm, self.grants):
            pending.discard(key)
        self.handback.add(key)

    def ask(self, keys: Collection[str], now: float) -> None:
        self.wanted |= set(keys)
        for key in sorted(keys):
            self.own.send("ip-request", [("ipaddr", key)], None)
        self.deadline = now + REQUEST_RETRY if self.wanted else None

    def timer(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        self.deadline = None
        if self.own.peer_alive and self.wanted:
            self.ask(set(self.wanted), now)

    # -- messages ----------------------------------------------------------------------

    def on_ip_request(self, peer: str, key: str, now: float) -> None:
        """The peer asks for ``key``: release it if we hold it, then answer."""
        if key in self.own.groups:
            self.own.peer = peer
            self.releases[key] = LegacyRelease(peer, answer=True)
            self.wanted.discard(key)  # it is the peer's now
            self.own.evaluate(now)

    def on_ip_request_resp(
        self,
        peer: str,
        dest: str | None,
        key: str,
        ok: str | None,
        weown: str | None,
        now: float,
    ) -> None:
        """The holder released ``key`` to ``dest`` (or a peer hands it back): take it.

        Addressed to the peer that sent it, it is a 3.0.6 node granting one of its own
        groups to itself because it counted no other active node when its communication
        came up: it starts the group whatever we do, so our copy stops."""
        own = self.own
        if ok != "OK" or key not in own.groups:
            return
        if dest is not None and dest == peer != own.local:
            self._yield(peer, key, now)
            return
        if dest != own.local:
            return
        if weown == "no" and key in self.wanted and key not in self.confirm:
            self.confirm.add(key)  # still wanted: asked once more at the next retry
        else:
            self.confirm.discard(key)
            self.wanted.discard(key)
        if not self.wanted:
            self.deadline = None
        if key not in own.held and own.eligible({key}, "ip-request-resp"):
            self.grants.add(key)
        own.evaluate(now)

    def _yield(self, peer: str, key: str, now: float) -> None:
        self.wanted.discard(key)
        self.grants.discard(key)
        self.handback.discard(key)
        if key in self.own.held or self.own.busy is not None:
            self.own.log_line(
                logging.WARNING,
                f"{peer} takes resource group {key} without asking: stopping our copy",
            )
            self.releases[key] = LegacyRelease(peer, answer=False)
            self.own.evaluate(now)

    # -- decisions ---------------------------------------------------------------------

    def step(self) -> None:
        """One operation at a time: releases asked of us first, then takes, then
        hand-backs."""
        own = self.own
        if own.busy is not None or not self.ready:
            return
        if self.releases:
            asked, self.releases = self.releases, {}
            give = {k for k in asked if k in own.held}
            for key in sorted(set(asked) - give):
                if asked[key].answer:
                    self._answer(asked[key].node, key, "no")

            def released(failed: frozenset[str]) -> None:
                for key in sorted(give - failed):  # a group that would not stop stays ours
                    if asked[key].answer:
                        self._answer(asked[key].node, key, "yes")

            if give:
                for key in sorted(give):
                    own.log_line(
                        logging.INFO, f"Releasing resource group {key} to {asked[key].node}"
                    )
                own.run(GroupAction.GIVE, give, "ip-request", released)
                return
        take = self.grants - own.held
        self.grants.clear()
        if take:
            own.run(GroupAction.TAKE, take, "ip-request-resp", self._took)
            return
        back = self.handback & own.held
        self.handback.clear()
        if back and own.peer is not None:
            peer = own.peer

            def handed(failed: frozenset[str]) -> None:
                for key in sorted(back - failed):
                    self._answer(peer, key, "yes")

            own.log_line(
                logging.INFO,
                f"Giving resource group {', '.join(sorted(back))} back to {peer}",
            )
            own.run(GroupAction.GIVE, back, "hand back", handed)

    def _took(self, _failed: frozenset[str]) -> None:
        self.own.log_line(logging.INFO, "Initial resource acquisition complete (ip-request-resp)")

    def _answer(self, peer: str, key: str, weown: str) -> None:
        self.own.send("ip-request-resp", [("ipaddr", key), ("weown", weown), ("ok", "OK")], peer)
