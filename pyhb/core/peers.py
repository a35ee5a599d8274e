"""Per-node and per-link liveness: last heard, advertised dead time, deadlines.

Rules (heartbeat.c ``check_for_timeouts``, ``HBDoMsg_T_STATUS``):
- a node's liveness is refreshed only by its ``status`` messages; a link's by any
  authenticated packet from that node on that medium;
- before communication is up every node gets ``initdead``; afterwards a node is dead
  ``dt`` ms (the value it advertises, initially our deadtime) after its last status;
- a status later than ``warntime`` is reported as a late heartbeat.
Unlike 3.0.6, which polls every 250 ms, deadlines here are exact: the engine's one
timer fires at the earliest of them.

``PeerTable.next_deadline`` gives the engine's timer every peer's deadlines at once.

Imports stdlib, ``pyhb.config.model``, ``pyhb.core.events`` and ``pyhb.core.seqno`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pyhb.config.model import node_key
from pyhb.core.events import LinkStatus, NodeStatus
from pyhb.core.seqno import AnswerBudget, SeqTracker

PROBE_AFTER = 1.25  # keepalives of silence before a quiet peer's next packets are asked for
PROBE_EVERY = 0.25  # keepalives between those requests, until the peer is heard or dead


@dataclass(slots=True)
class Link:
    name: str
    status: LinkStatus = LinkStatus.DEAD
    last_heard: float | None = None
    newest: tuple[int, int] | None = None  # (generation, seq) of the newest packet on it


@dataclass(slots=True)
class Peer:
    """Everything we track about one other node."""

    name: str
    tracker: SeqTracker
    ack_trigger: int
    links: dict[str, Link]
    status: NodeStatus = NodeStatus.INIT
    uuid: bytes | None = None
    dt: float = 30.0  # seconds; the dead time this peer advertises
    last_status: float | None = None
    heard: bool = False  # any accepted packet since start (communication-up rule)
    protocol: bool = True  # it sends protocol=1 (flow control / reqnodes in use)
    gone_gen: int | None = None  # the generation that said shutdone
    restarted_since_dead: bool = False  # a new generation appeared since it died
    acked: int = 0  # the highest of our seqs it acknowledged (NS_ackmsg), this generation
    probe_at: float | None = None  # when to ask for its next packets (status overdue)
    rexmit_answers: AnswerBudget = field(default_factory=lambda: AnswerBudget(0.25))

    @property
    def alive(self) -> bool:
        """Heard since start and not declared dead."""
        return self.heard and self.status is not NodeStatus.DEAD

    def dead_deadline(self, started: float, initdead: float, comm_up: bool) -> float | None:
        """When this node is to be declared dead, or None if it already is: the one rule
        (``PeerTable.next_deadline`` and the engine's timeouts both ask it)."""
        if self.status is NodeStatus.DEAD:
            return None
        base = self.last_status if self.last_status is not None else started
        return base + (self.dt if comm_up and self.last_status is not None else initdead)

    def expire_links(self, t: float) -> list[str]:
        """Mark dead the links silent for ``dt`` at ``t``; their names."""
        dead = []
        for link in self.links.values():
            heard = link.last_heard
            if link.status is LinkStatus.UP and heard is not None and t >= heard + self.dt:
                link.status = LinkStatus.DEAD
                dead.append(link.name)
        return dead


@dataclass(slots=True)
class PeerTable:
    """The other nodes of the cluster, in ha.cf order."""

    peers: dict[str, Peer] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        names: tuple[str, ...],
        media: tuple[str, ...],
        deadtime: float,
        max_rexmit_delay: float,
        rand: Callable[[], float],
    ) -> PeerTable:
        table = cls()
        for name in names:
            table.peers[name] = Peer(
                name=name,
                tracker=SeqTracker(rand=rand, max_rexmit_delay=max_rexmit_delay),
                ack_trigger=int(rand() * 10) % 10,
                links={m: Link(m) for m in media},
                dt=deadtime,
                rexmit_answers=AnswerBudget(max_rexmit_delay),
            )
        return table

    def get(self, name: str) -> Peer | None:
        """The peer called ``name``, in any letter case (``config.model.node_key``)."""
        return self.peers.get(name) or self.peers.get(node_key(name))

    def __iter__(self) -> Iterator[Peer]:
        return iter(self.peers.values())

    def live(self) -> list[Peer]:
        """Peers heard since start and not declared dead."""
        return [p for p in self.peers.values() if p.alive]

    def next_deadline(self, t: float, started: float, initdead: float, comm_up: bool) -> float:
        """The earliest of ``t`` and every peer's deadlines: its death
        (``Peer.dead_deadline``), its quiet-peer probe, its links' deaths and its
        retransmission requests.

        Runs after every input, so it is written out flat (no lists or generators).
        """
        up = LinkStatus.UP
        for p in self.peers.values():
            d = p.dead_deadline(started, initdead, comm_up)
            if d is not None:
                if d < t:  # noqa: PLR1730 (runs after every input: no call)
                    t = d
                probe = p.probe_at
                if probe is not None and comm_up and p.heard and probe < t:
                    t = probe
            for link in p.links.values():
                heard = link.last_heard
                if heard is not None and link.status is up and heard + p.dt < t:
                    t = heard + p.dt
            if p.tracker.missing:
                r = p.tracker.next_deadline()
                if r is not None and r < t:
                    t = r
        return t

    def probe_due(self, t: float) -> bool:
        """Whether some peer's status is overdue at ``t`` (a quiet-peer probe is due)."""
        for p in self.peers.values():  # noqa: SIM110 (runs at every timer: no generator)
            if p.probe_at is not None and t >= p.probe_at:
                return True
        return False

    def rexmit_due(self, t: float) -> list[tuple[str, int, int]]:
        """The retransmission requests due at ``t``: (peer, first, last) for live peers
        (a dead peer's are dropped)."""
        out = []
        for p in self.peers.values():
            if not p.tracker.missing:  # nothing to ask for (``due`` would say so)
                continue
            for first, last in p.tracker.due(t):
                if p.alive:
                    out.append((p.name, first, last))
        return out

    def stalled(self, t: float) -> None:
        """Our process was not scheduled for a while: every deadline starts again at ``t``."""
        for p in self.peers.values():
            if p.alive and p.last_status is not None:
                p.last_status = t
            for link in p.links.values():
                if link.last_heard is not None:
                    link.last_heard = t
