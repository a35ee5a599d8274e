"""Per-node and per-link liveness: last heard, advertised dead time, deadlines.

Rules (heartbeat.c ``check_for_timeouts``, ``HBDoMsg_T_STATUS``):
- a node's liveness is refreshed only by its ``status`` messages; a link's by any
  authenticated packet from that node on that medium;
- before communication is up every node gets ``initdead``; afterwards a node is dead
  ``dt`` ms (the value it advertises, initially our deadtime) after its last status;
- a status later than ``warntime`` is reported as a late heartbeat.
Unlike 3.0.6, which polls every 250 ms, deadlines here are exact: the engine's one
timer fires at the earliest of them.

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
        """When this node is to be declared dead, or None if it already is."""
        if self.status is NodeStatus.DEAD:
            return None
        base = self.last_status if self.last_status is not None else started
        return base + (self.dt if comm_up and self.last_status is not None else initdead)


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
