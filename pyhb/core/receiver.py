"""Receiving: verify, then sequence checks, then the message type's route
(``core.handlers.ROUTES``; docs/protocol.md#message-types).

Order matters and follows 3.0.6 (heartbeat.c ``process_clustermsg``): the digest is
checked before any field is trusted; ``src``, ``t`` and ``ts`` are required; only
``NS_`` types go without ``seq``; replays (older generation) and duplicates (the same
datagram on another medium, or retransmitted) are dropped. Unlike 3.0.6, a link is
refreshed only by a packet newer than any it carried before, so replaying captured
packets changes nothing, not even a link's state.
Bad packets are logged at WARNING at most once a minute per source and a few times a
minute in all, else at DEBUG and counted (``core.badpackets``).
A status in the steady layout from a known peer (nearly every datagram of an idle
cluster) is read by ``wire.steady`` instead of the general decoder and goes through the
same steps; anything that path does not take whole goes the general way.

``Receiver`` gets everything at construction: the engine as a ``Host`` (``core.handlers``)
and the tables it shares with it. Part of the engine; never imports asyncio, socket,
subprocess, time, os or random.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import MutableMapping

from pyhb.clock import Instant
from pyhb.config.model import node_key
from pyhb.core.badpackets import BadPacketLog
from pyhb.core.events import ClusterMessage, LinkStateChanged, LinkStatus
from pyhb.core.handlers import ROUTES, Arrival, Handlers, Host, hex_field, node_name
from pyhb.core.ownership import Ownership
from pyhb.core.peers import Link, Peer, PeerTable
from pyhb.core.seqno import SendHistory, Verdict
from pyhb.core.splitmedia import SplitMedia
from pyhb.wire.errors import AuthError, DecodeError
from pyhb.wire.message import HaMessage, peek_ack_dest
from pyhb.wire.steady import Status, read_status

Addr = tuple[str, int]


class Receiver:
    """The receive path of one engine: ``receive_datagram`` is ``Engine.receive_datagram``."""

    def __init__(
        self,
        host: Host,
        *,
        local: str,
        local_raw: bytes,
        uuid: bytes,
        peers: PeerTable,
        own_links: MutableMapping[str, LinkStatus],
        recent_sent: deque[bytes],
        badpackets: BadPacketLog,
        history: SendHistory,
        ownership: Ownership,
        split: SplitMedia,
    ) -> None:
        self.host = host
        self.local = local
        self.local_raw = local_raw  # as on the wire
        self.uuid = uuid
        self.peers = peers
        self.own_links = own_links
        self.recent_sent = recent_sent
        self.badpackets = badpackets
        self.ownership = ownership
        self.split = split
        self.handlers = Handlers(host, peers, history, ownership, split)
        self._namesake_logged: dict[str, float] = {}

    def receive_datagram(
        self, data: bytes, medium: str, addr: Addr, now: Instant, arrived: float | None = None
    ) -> bool:
        """One UDP payload from ``addr`` on ``medium`` (the interface name).

        False when it was dropped leaving the caller nothing to flush, drain or re-arm: our
        own packet looped back on a link already known to work, another node's
        acknowledgement, or a rejected packet that was only counted (``_reject``).

        ``arrived`` dates a datagram read after it came (split media, ``core.splitmedia``):
        the peer and the link were heard then, not at ``now``. Everything else (the
        engine's clock, stall detection, retransmission timers) runs on ``now``.
        """
        host = self.host
        if data in self.recent_sent:  # our own, looped back: nothing to decode or check
            if self.own_links.get(medium) is not LinkStatus.DEAD:
                return False
            host.enter(now)
            self._heard_self(medium)
            host.settle()
            return True
        status = read_status(data)
        if status is not None:
            taken = self._steady_status(status, medium, addr, now, arrived)
            if taken is not None:
                return taken
        dest = peek_ack_dest(data)
        if dest is not None and dest != self.local_raw and dest.lower() != self.local_raw:
            return False  # another node's acknowledgement: nothing in it concerns us
        try:
            msg = host.verifier.verify(data)
        except (DecodeError, AuthError) as exc:
            return self._reject(now, addr, medium, exc)
        host.enter(now)
        heard = self.split.heard_at(now.mono, arrived)
        self._receive(msg, medium, addr, now, Arrival(now.mono, heard, arrived is not None, None))
        host.settle()
        return True

    def _steady_status(
        self, st: Status, medium: str, addr: Addr, now: Instant, arrived: float | None
    ) -> bool | None:
        """A status in the steady layout (``wire.steady``), from a known peer: received
        exactly as ``_receive`` would, without decoding the whole message; one whose
        trailer does not match is dropped here as the general path would drop it (the same
        check on the same bytes), at the cost of one digest (docs/reliability.md, floods).
        Returns what ``receive_datagram`` returns for it, or None, with nothing changed,
        for anything else; the general path then takes it."""
        peer = self.peers.peers.get(st.src)
        if peer is None and st.src != self.local:
            return None
        try:
            self.host.verifier.check_trailer(st.key_index, st.digest, st.signed)
        except AuthError as exc:
            return self._reject(now, addr, medium, exc)
        if peer is None:  # authentic, under our own name: the general path knows what to do
            return None
        self.host.enter(now)
        heard = self.split.heard_at(now.mono, arrived)
        self._heard(peer, st.uuid, medium, heard, st.seq, st.gen)
        # As ``ROUTES["status"]`` says: from any peer, in any state.
        if self._sequence_ok(peer, "status", addr, now, st.seq, st.gen):
            self.handlers.status(peer, heard, st.dt, True, st.st, now.mono)
            if arrived is None and st.seq == peer.tracker.last:
                self.host.status_heard(now.mono)
        self.host.settle()
        return True

    def _reject(self, now: Instant, addr: Addr, medium: str, exc: Exception) -> bool:
        """Drop a datagram that failed decoding or authentication. True if that left the
        caller something to do (a line to log, the summary's timer to arm, a stall noticed
        on entry), False if it was only counted: a flood then costs no pass over the
        engine's output per datagram."""
        queued, due = self.host.queued(), self.badpackets.due()
        self.host.enter(now)
        self.bad_packet(now.mono, addr[0], f"dropped packet from {addr[0]} on {medium}: {exc}")
        return self.host.queued() != queued or self.badpackets.due() != due

    def bad_packet(self, t: float, source: str, text: str) -> None:
        """Log a rejected packet: a warning within ``core.badpackets``' limits, else counted."""
        enabled = self.host.config.ha.log_badpack
        for line in self.badpackets.note(t, source, text, enabled=enabled):
            self.host.log_line(logging.WARNING, line)

    def _receive(self, msg: HaMessage, medium: str, addr: Addr, now: Instant, at: Arrival) -> None:
        src, mtype, ts = msg.get("src"), msg.type, msg.get("ts")
        if not src or not mtype or not ts:
            text = f"process_clustermsg: missing from/ts/type from {addr[0]}"
            self.bad_packet(now.mono, addr[0], text)
            return
        src = node_key(src)  # names match in any letter case, as in heartbeat
        if src == self.local:
            self._in_our_name(msg, medium, addr, now.mono)
            return
        peer = self.peers.get(src)
        if peer is None:
            text = f"message from unknown node [{src}] at {addr[0]} ignored"
            self.bad_packet(now.mono, addr[0], text)
            return
        seq, gen = hex_field(msg.get("seq")), hex_field(msg.get("hg")) or 0
        self._heard(peer, msg.get_bytes("srcuuid"), medium, at.heard, seq, gen)
        dest = node_name(msg.get("dest"))
        route = ROUTES.get(mtype)
        if mtype.startswith("NS_"):
            ours = dest is None or dest == self.local
            if route is not None and ours and route.accepts(peer, self.host.comm_up):
                route.handle(self.handlers, peer, msg, at)
            return
        if not self._sequence_ok(peer, mtype, addr, now, seq, gen):
            return
        if (
            dest is not None
            and dest != self.local
            and not (mtype == "ip-request-resp" and dest == src)
        ):
            return  # for another node; but a node granting itself a group concerns its holder
        if route is None or route.for_clients:
            self.host.emit(ClusterMessage(peer.name, msg))
        if route is not None and route.accepts(peer, self.host.comm_up):
            route.handle(self.handlers, peer, msg, at._replace(seq=seq))

    def _in_our_name(self, msg: HaMessage, medium: str, addr: Addr, t: float) -> None:
        """A packet signed in our name: ours, looped back, or a namesake's."""
        uuid = msg.get_bytes("srcuuid")
        if uuid is not None and uuid != self.uuid:
            self._namesake(addr, uuid, t)
        else:
            self._heard_self(medium)

    def _namesake(self, addr: Addr, uuid: bytes, t: float) -> None:
        """An authentic packet in our own name from another node: two hosts share one node
        name. Its packets are not ours (they prove none of our links) and are dropped; the
        operator is told, at ERROR, once a minute."""
        text = (
            f"Another node at {addr[0]} calls itself {self.local} (uuid {uuid.hex()}, ours is "
            f"{self.uuid.hex()}): two nodes with one name cannot form a cluster; give each its "
            "own name (uname -n, or the nodeinfo file) and list both in ha.cf"
        )
        self.handlers.log_limited(self._namesake_logged, "namesake", text, t, logging.ERROR)

    def _heard_self(self, medium: str) -> None:
        """One of our own packets came back on ``medium``: that link works."""
        if self.own_links.get(medium) is LinkStatus.DEAD:
            self.own_links[medium] = LinkStatus.UP
            self.host.log_line(logging.INFO, f"Link {self.local}:{medium} up.")
            # as 3.0.6's ifstat
            self.host.emit(LinkStateChanged(self.local, medium, LinkStatus.UP))
            self.split.own_links_up()

    def _heard(
        self, peer: Peer, uuid: bytes | None, medium: str, t: float, seq: int | None, gen: int
    ) -> None:
        if uuid is not None and len(uuid) == 16:
            peer.uuid = uuid
        link = peer.links.get(medium) or peer.links.setdefault(medium, Link(medium))
        # Only a packet newer than any this link carried refreshes it: a copy of a packet
        # seen on another medium does, a replayed or retransmitted one (or an unsequenced
        # NS_ message, which anyone who saw one could replay) does not.
        if seq is None:
            return
        mark = (gen, seq)
        if link.newest is not None and mark <= link.newest:
            return
        if peer.tracker.floor is not None and mark <= peer.tracker.floor:
            return  # sent before our restart (core.replayfloor)
        link.newest = mark
        if link.last_heard is None or t > link.last_heard:
            link.last_heard = t
        if link.status is LinkStatus.DEAD:
            link.status = LinkStatus.UP
            self.host.log_line(logging.INFO, f"Link {peer.name}:{medium} up.")
            self.host.emit(LinkStateChanged(peer.name, medium, LinkStatus.UP))

    def _sequence_ok(
        self, peer: Peer, mtype: str, addr: Addr, now: Instant, seq: int | None, gen: int
    ) -> bool:
        host = self.host
        if seq is None or seq <= 0:
            text = f"process_clustermsg: missing seqno from {peer.name}"
            self.bad_packet(now.mono, addr[0], text)
            return False
        if peer.gone_gen is not None and gen <= peer.gone_gen:
            return False  # the rest of a generation that said shutdone
        known = peer.tracker.generation
        got = peer.tracker.receive(gen, seq, now.mono, is_status=mtype == "status")
        if got.verdict is Verdict.REPLAY:
            text = (
                f"should_drop_message: attempted replay attack [{peer.name}]? "
                f"[gen = {gen}, curgen = {known}]"
            )
            self.bad_packet(now.mono, addr[0], text)
            return False
        if got.verdict is Verdict.DUPLICATE:
            return False
        if got.verdict is Verdict.RESTART:
            host.log_line(logging.INFO, f"Heartbeat restart on node {peer.name}")
            peer.gone_gen = None
            peer.restarted_since_dead = True
            peer.acked = 0
            self.ownership.peer_restarted(peer.name)
        if known is None:
            peer.restarted_since_dead = True  # first contact: a join, not a return
        if got.gap is not None:
            last, new = got.gap
            text = f"{new - last - 1} lost packet(s) for [{peer.name}] [{last}:{new}]"
            host.log_line(logging.WARNING, text)
        if got.filled:
            host.log_line(logging.INFO, f"No pkts missing from {peer.name}!")
        peer.heard = True
        if seq % 10 == peer.ack_trigger and not peer.tracker.missing:
            host.send("NS_ackmsg", [("ackseq", f"{seq:x}")], dest=peer.name)
        return True
