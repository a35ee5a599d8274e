"""Ping nodes: pseudo-members of type ``ping`` whose liveness is an ICMP echo answer.

Rules, as heartbeat 3.0.6 runs them (docs/pingnodes.md):
- a ping node starts ``init``; an echo reply from any of its addresses makes it ``ping``
  (``Status update for node X: status ping``) and its one link, named like the node for
  ``ping_group`` and like the address for ``ping``, ``up``;
- it is ``dead`` ``deadping`` after its last reply (``node X: is dead``, ``Link X:X
  dead.``), or at ``initdead`` if it never answered; a reply brings it back;
- until communication is up, a never-heard ping node holds it back as a normal node
  does: every node must have been heard or declared dead first;
- ping nodes take no part in anything else: no sequence numbers, no reqnodes, no
  resource recovery when they die.
The shell sends the echo requests (``pyhb.net.icmp``) and reports answers by name.
Imports stdlib, ``config.model`` and ``core.events`` / ``core.snapshot`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pyhb.config.model import PingNode
from pyhb.core.events import (
    Event,
    HeartbeatLate,
    LinkStateChanged,
    LinkStatus,
    LogLine,
    NodeStatus,
    PeerStateChanged,
    StatusChanged,
)
from pyhb.core.snapshot import LinkView, NodeView

PING_TYPE = "ping"


@dataclass(slots=True)
class PingState:
    """One ping node as the engine tracks it."""

    name: str
    addresses: tuple[str, ...]
    link_name: str
    status: NodeStatus = NodeStatus.INIT
    link: LinkStatus = LinkStatus.DEAD
    last_heard: float | None = None

    @property
    def heard(self) -> bool:
        return self.last_heard is not None


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """The read-only view of one node: name, type (``normal``/``ping``), status word."""

    name: str
    type: str
    status: NodeStatus


class PingTable:
    """Every ping node, in ha.cf order."""

    def __init__(
        self, nodes: Sequence[PingNode], *, deadping: float, warntime: float, started: float
    ) -> None:
        self.deadping = deadping
        self.warntime = warntime
        self.started = started
        self.nodes: dict[str, PingState] = {}
        for node in nodes:  # the link is named like the node (the address for ``ping``)
            self.nodes[node.name] = PingState(node.name, node.addresses, node.name)

    def __iter__(self) -> Iterator[PingState]:
        return iter(self.nodes.values())

    def __bool__(self) -> bool:
        return bool(self.nodes)

    def addresses(self) -> dict[str, tuple[str, ...]]:
        """Each ping node's name and the addresses the shell is to ping for it."""
        return {p.name: p.addresses for p in self.nodes.values()}

    def settled(self) -> bool:
        """Whether every ping node was heard from or declared dead (communication-up rule)."""
        return all(p.heard or p.status is NodeStatus.DEAD for p in self.nodes.values())

    def heard(self, name: str, t: float) -> list[Event]:
        """An echo reply for ping node ``name`` arrived at ``t``."""
        p = self.nodes.get(name)
        if p is None:
            return []
        events: list[Event] = []
        if p.link is LinkStatus.DEAD:
            p.link = LinkStatus.UP
            events += [
                LogLine(logging.INFO, f"Link {p.name}:{p.link_name} up."),
                LinkStateChanged(p.name, p.link_name, LinkStatus.UP),
            ]
        if p.last_heard is not None:
            interval = t - p.last_heard
            over = interval > self.deadping
            if over or interval > self.warntime:
                ms = round(interval * 1000)
                text = f"Late heartbeat: Node {p.name}: interval {ms} ms"
                level = logging.CRITICAL if over else logging.WARNING
                events += [
                    LogLine(level, text + (" (> deadtime)" if over else "")),
                    HeartbeatLate(p.name, ms, over),
                ]
        p.last_heard = t
        if p.status is not NodeStatus.PING:
            old, p.status = p.status, NodeStatus.PING
            events += [
                LogLine(logging.INFO, f"Status update for node {p.name}: status ping"),
                PeerStateChanged(p.name, old, NodeStatus.PING),
                StatusChanged(),
            ]
        return events

    def stalled(self, t: float) -> None:
        """We were not scheduled for a while: answering ping nodes' deadlines restart at ``t``
        (no echo request went out meanwhile)."""
        for p in self.nodes.values():
            if p.status is NodeStatus.PING:
                p.last_heard = t

    def deadline(self, initdead: float) -> float | None:
        """The earliest moment a ping node is to be declared dead, or None."""
        t: float | None = None
        for p in self.nodes.values():
            d = self._deadline(p, initdead)
            if d is not None and (t is None or d < t):
                t = d
        return t

    def _deadline(self, p: PingState, initdead: float) -> float | None:
        if p.status is NodeStatus.DEAD:
            return None
        if p.last_heard is None:
            return self.started + initdead
        return p.last_heard + self.deadping

    def check(self, t: float, initdead: float) -> list[Event]:
        """Declare dead every ping node whose deadline has passed at ``t``."""
        events: list[Event] = []
        for p in self.nodes.values():
            d = self._deadline(p, initdead)
            if d is None or t < d:
                continue
            old, p.status = p.status, NodeStatus.DEAD
            events += [LogLine(logging.WARNING, f"node {p.name}: is dead")]
            if p.link is LinkStatus.UP:
                p.link = LinkStatus.DEAD
                events += [
                    LogLine(logging.INFO, f"Link {p.name}:{p.link_name} dead."),
                    LinkStateChanged(p.name, p.link_name, LinkStatus.DEAD),
                ]
            events += [PeerStateChanged(p.name, old, NodeStatus.DEAD), StatusChanged()]
        return events

    def views(self) -> tuple[NodeView, ...]:
        """The ping nodes as ``cl_status`` lists them."""
        return tuple(
            NodeView(p.name, p.status, (LinkView(p.link_name, p.link),), PING_TYPE)
            for p in self.nodes.values()
        )

    def info(self) -> tuple[NodeInfo, ...]:
        return tuple(NodeInfo(p.name, PING_TYPE, p.status) for p in self.nodes.values())
