"""What each received message type does, and when it is accepted: ``ROUTES``
(docs/protocol.md#message-types).

``ROUTES`` is the one table of message types, ``status`` included. Each ``Route``
declares the states it is accepted in: ``comm`` (any time, only once communication is
up, or only before), whether a peer declared dead is heard (only a status brings one
back), and whether the message goes to the API clients too. ``Receiver`` (``core.receiver``)
consults the table once the datagram passed verification and the sequence checks; no
handler checks those states again. A type missing from the table goes to the clients
and does nothing else.

The handlers act through ``Host``, the few things the receive path asks of the engine,
and through the collaborators given at construction; they never reach into the engine.

Part of the engine; never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from pyhb.clock import Instant
from pyhb.config.model import ClusterConfig, node_key
from pyhb.core.badpackets import INTERVAL as WARN_INTERVAL
from pyhb.core.events import Event, HeartbeatLate, NodeStatus, PeerStateChanged, StatusChanged
from pyhb.core.ownership import Ownership
from pyhb.core.peers import Peer, PeerTable
from pyhb.core.seqno import MAX_REXMIT_PER_REQUEST, Lookup, SendHistory
from pyhb.core.splitmedia import SplitMedia
from pyhb.wire.auth import Verifier
from pyhb.wire.message import HaMessage

log = logging.getLogger(__name__)

MIN_DT, MAX_DT = 0.1, 3600.0
_NODE_STATUS = {s.value: s for s in NodeStatus}


class Host(Protocol):
    """What the receive path asks of the engine (``core.engine.Engine`` is one)."""

    config: ClusterConfig  # log_badpack, and the node list reqnodes is answered with
    comm_up: bool
    keepalive: float
    warntime: float

    @property
    def verifier(self) -> Verifier: ...

    def enter(self, now: Instant) -> None:
        """Bookkeeping before a datagram changes anything."""

    def settle(self) -> None:
        """What is due after a datagram changed something."""

    def queued(self) -> int:
        """How many events are waiting for the shell."""
        ...

    def log_line(self, level: int, text: str) -> None: ...

    def emit(self, event: Event) -> None: ...

    def send(
        self, mtype: str, fields: list[tuple[str, str]], *, dest: str | None = None
    ) -> int | None: ...

    def resend(self, data: bytes) -> None:
        """Queue a datagram of ours again, byte for byte (a retransmission)."""

    def status_heard(self, t: float) -> None: ...

    def send_status_now(self) -> None: ...

    def declare_dead(self, name: str, *, graceful: bool) -> None: ...

    def go_active(self) -> None: ...


class Comm(enum.Enum):
    """When a message type is acted on, with respect to our communication being up."""

    ANY = "any"
    UP = "up"
    DOWN = "down"


class Arrival(NamedTuple):
    """How a message came: ``now`` (monotonic), ``heard`` (when it reached the host),
    ``late`` (read after it came: split media) and its ``seq``."""

    now: float
    heard: float
    late: bool
    seq: int | None


def hex_field(text: str | None) -> int | None:
    """A hex field's value; None if absent or not hex."""
    if not text:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def node_name(text: str | None) -> str | None:
    return None if text is None else node_key(text)


@dataclass(slots=True)
class Handlers:
    """One method per message type; ``ROUTES`` says which and when."""

    host: Host
    peers: PeerTable
    history: SendHistory
    ownership: Ownership
    split: SplitMedia
    _rexmit_high_logged: dict[str, float] = field(default_factory=dict)

    def log_limited(
        self, logged: dict[str, float], key: str, text: str, t: float, level: int = logging.WARNING
    ) -> None:
        """``text`` at ``level`` at most once per ``WARN_INTERVAL`` per ``key`` (``logged``
        remembers when, bounded in size); the repeats go to the debug log."""
        last = logged.get(key)
        if last is None or t - last >= WARN_INTERVAL:
            logged[key] = t
            if len(logged) > 1024:
                logged.clear()
            self.host.log_line(level, text)
        else:
            log.debug("%s", text)

    # -- status ------------------------------------------------------------------------

    def status(
        self, peer: Peer, t: float, dt: int | None, protocol: bool, st: str, now: float
    ) -> None:
        """A status that reached the host at ``t`` (read at ``now``), with its ``dt`` (None
        if absent or not hex), whether it had a ``protocol`` field, and its ``st`` ("" if
        absent)."""
        eng = self.host
        if dt is not None:
            peer.dt = min(max(dt / 1000, MIN_DT), MAX_DT)
        peer.protocol = protocol
        last = peer.last_status
        if last is not None and t < last:
            t = last  # read late, after a stall restarted the deadlines: not older than that
        if last is not None and peer.status is not NodeStatus.DEAD:
            interval = t - last
            if interval > eng.warntime:
                over = interval > peer.dt
                ms = int(interval * 1000)
                suffix = " (> deadtime)" if over else ""
                level = logging.CRITICAL if over else logging.WARNING
                eng.log_line(level, f"Late heartbeat: Node {peer.name}: interval {ms} ms{suffix}")
                eng.emit(HeartbeatLate(peer.name, ms, over))
        peer.last_status = t
        peer.probe_at = t + self.split.probe_after * eng.keepalive
        new = _NODE_STATUS.get(st)
        if new is None or new is NodeStatus.DEAD:
            return
        old = peer.status
        if new is old:
            return
        peer.status = new
        eng.log_line(logging.INFO, f"Status update for node {peer.name}: status {new}")
        eng.emit(PeerStateChanged(peer.name, old, new))
        eng.emit(StatusChanged())
        if old is NodeStatus.DEAD and eng.comm_up:
            if not peer.restarted_since_dead:
                text = f"Cluster node {peer.name} returning after partition."
                eng.log_line(logging.CRITICAL, text)
                self.ownership.peer_returned(peer.name, now)
            else:
                self.ownership.peer_up(peer.name)
        peer.restarted_since_dead = False

    def status_message(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        protocol = msg.get("protocol") is not None
        st = msg.get("st") or ""
        self.status(peer, at.heard, hex_field(msg.get("dt")), protocol, st, at.now)
        if not at.late and at.seq == peer.tracker.last:  # its newest, not a retransmitted one
            self.host.status_heard(at.now)

    # -- membership --------------------------------------------------------------------

    def shutdone(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        self.host.log_line(logging.INFO, f"Received shutdown notice from '{peer.name}'.")
        peer.gone_gen = peer.tracker.generation
        self.host.declare_dead(peer.name, graceful=True)

    def reqnodes(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        # Our status goes first: a 3.0.6 node whose communication comes up with our answer
        # then counts us as active when it decides between asking for its groups and taking
        # them (docs/ownership.md).
        self.host.send_status_now()
        names = "".join(f"{n} " for n in self.host.config.ha.node)
        self.host.send("repnodes", [("nodelist", names), ("delnodelist", " ")], dest=peer.name)

    def repnodes(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        self.host.go_active()

    # -- resources ---------------------------------------------------------------------

    def starting(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        self.ownership.on_starting(peer.name)

    def resource(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        hold = msg.get("rsc_hold")
        if hold is not None:
            self.ownership.on_resource(
                peer.name,
                hold,
                msg.get("rtype"),
                msg.get("isstable"),
                msg.get("provisional"),
                msg.get("info"),
                now=at.now,
            )

    def ask_resources(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        hold, info = msg.get("rsc_hold"), msg.get("info")
        if hold is not None and info is not None:
            self.ownership.standby.on_ask_resources(peer.name, hold, info, at.now)

    def hb_takeover(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        hold = msg.get("rsc_hold")
        if hold is not None:
            self.ownership.standby.on_hb_takeover(peer.name, hold, at.now)

    def ip_request(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        # Answered even before our communication is up: the ownership answers once its
        # start-up clean-up is done, so the asking node never waits for a request repeated.
        key = msg.get("ipaddr")
        if key is not None:
            self.ownership.legacy.on_ip_request(peer.name, key, at.now)

    def ip_request_resp(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        key = msg.get("ipaddr")
        if key is not None:
            dest = node_name(msg.get("dest"))
            ok, weown = msg.get("ok"), msg.get("weown")
            self.ownership.legacy.on_ip_request_resp(peer.name, dest, key, ok, weown, at.now)

    # -- retransmission and flow control (NS_ types: no seq, never for clients) --------

    def rexmit(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        try:
            first = int(msg.get("firstseq") or "")
            last = int(msg.get("lastseq") or "")
        except ValueError:
            return
        if last < first:
            return
        for seq in range(first, min(last, first + MAX_REXMIT_PER_REQUEST - 1) + 1):
            if not peer.rexmit_answers.take(at.now):
                log.debug("NS_rexmit from %s: answer budget spent at seq %d", peer.name, seq)
                break
            found, data = self.history.lookup(seq, at.now)
            if found is Lookup.FOUND and data is not None:
                self.host.resend(data)
            elif found in (Lookup.TOO_LOW, Lookup.NOT_FOUND):
                fields = [("firstseq", f"{seq:x}"), ("info", found.value)]
                self.host.send("NS_nak_rexmit", fields, dest=peer.name)
            elif found is Lookup.TOO_HIGH:
                # A quiet-peer probe may ask one packet ahead of us: rate-limited per peer.
                text = f"Rexmit of seq {seq} requested. {self.history.next_seq - 1} is max."
                self.log_limited(self._rexmit_high_logged, peer.name, text, at.now)
                break

    def ackmsg(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        """A peer got everything of ours up to ``ackseq``: free history every live peer has.

        As heartbeat.c's ack handling: history is kept back to the lowest ack of the live
        peers; with no live peer, or one without flow control (no ``protocol`` field), only
        the MAXMSGHIST cap applies.
        """
        seq = hex_field(msg.get("ackseq"))
        if seq is None or seq >= self.history.next_seq or seq <= peer.acked:
            return
        peer.acked = seq
        live = self.peers.live()
        if not live or not all(p.protocol for p in live):
            return
        self.history.release_through(min(p.acked for p in live))

    def nak_rexmit(self, peer: Peer, msg: HaMessage, at: Arrival) -> None:
        seq = hex_field(msg.get("firstseq"))
        if seq is not None and seq in peer.tracker.missing:
            del peer.tracker.missing[seq]
            text = f"Irretrievably lost packet: node {peer.name} seq {seq}"
            self.host.log_line(logging.ERROR, text)


Handle = Callable[[Handlers, Peer, HaMessage, Arrival], None]


@dataclass(frozen=True, slots=True)
class Route:
    """One message type: its handler and the states it is accepted in."""

    handle: Handle
    comm: Comm = Comm.ANY  # our communication: any time, only once up, or only before
    from_dead: bool = False  # acted on from a peer declared dead
    for_clients: bool = True  # handed to the API clients as well (non-NS_ types)

    def accepts(self, peer: Peer, comm_up: bool) -> bool:
        """Whether the message is acted on, from ``peer`` with our communication as is."""
        if peer.status is NodeStatus.DEAD and not self.from_dead:
            return False
        return self.comm is Comm.ANY or (self.comm is Comm.UP) == comm_up


ROUTES: dict[str, Route] = {
    # A dead peer speaks again with a status first; statuses are not for the clients.
    "status": Route(Handlers.status_message, from_dead=True, for_clients=False),
    "shutdone": Route(Handlers.shutdone),
    # Membership requests: answered here, never handed to the API (3.0.6 does the same).
    "reqnodes": Route(Handlers.reqnodes, for_clients=False),
    "repnodes": Route(Handlers.repnodes, comm=Comm.DOWN, for_clients=False),
    "starting": Route(Handlers.starting),
    "resource": Route(Handlers.resource),
    "ask_resources": Route(Handlers.ask_resources, comm=Comm.UP),
    "hb_takeover": Route(Handlers.hb_takeover, comm=Comm.UP),
    "ip-request": Route(Handlers.ip_request),
    "ip-request-resp": Route(Handlers.ip_request_resp, comm=Comm.UP),
    "NS_ackmsg": Route(Handlers.ackmsg, from_dead=True, for_clients=False),
    "NS_rexmit": Route(Handlers.rexmit, from_dead=True, for_clients=False),
    "NS_nak_rexmit": Route(Handlers.nak_rexmit, from_dead=True, for_clients=False),
}

# Our own messages of these types are not handed to our API clients either.
NOT_FOR_CLIENTS = frozenset(k for k, r in ROUTES.items() if not r.for_clients)
