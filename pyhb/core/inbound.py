"""Receiving: verify, then sequence checks, then one handler per message type
(docs/protocol.md#message-types).

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

Part of the engine; never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyhb.config.model import node_key
from pyhb.core import badpackets
from pyhb.core.events import (
    ClusterMessage,
    HeartbeatLate,
    LinkStateChanged,
    LinkStatus,
    NodeStatus,
    PeerStateChanged,
    StatusChanged,
)
from pyhb.core.peers import PROBE_AFTER, Link
from pyhb.core.seqno import MAX_REXMIT_PER_REQUEST, Lookup, Verdict
from pyhb.wire.errors import AuthError, DecodeError
from pyhb.wire.message import peek_ack_dest
from pyhb.wire.steady import Status, read_status

if TYPE_CHECKING:
    from pyhb.clock import Instant
    from pyhb.core.engine import Engine
    from pyhb.core.peers import Peer
    from pyhb.wire.message import HaMessage

log = logging.getLogger(__name__)

BADPACKET_INTERVAL = badpackets.INTERVAL
MIN_DT, MAX_DT = 0.1, 3600.0
_NODE_STATUS = {s.value: s for s in NodeStatus}

Handler = Callable[["Engine", "Peer", "HaMessage"], None]


def _hex(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def _node_name(text: str | None) -> str | None:
    return None if text is None else node_key(text)


def receive_datagram(
    eng: Engine,
    data: bytes,
    medium: str,
    addr: tuple[str, int],
    now: Instant,
    arrived: float | None = None,
) -> bool:
    """One UDP payload from ``addr`` on ``medium`` (the interface name).

    False when it was dropped leaving the caller nothing to flush, drain or re-arm: our
    own packet looped back on a link already known to work, another node's
    acknowledgement, or a rejected packet that was only counted (``_reject``).

    ``arrived`` dates a datagram read after it came (a steady status read at our own
    timer): the peer and the link were heard then, not at ``now``. Everything else
    (the engine's clock, stall detection, retransmission timers) runs on ``now``.
    """
    if data in eng._recent_sent:  # our own, looped back: nothing to decode or check
        if eng.own_links.get(medium) is not LinkStatus.DEAD:
            return False
        eng._enter(now)
        _heard_self(eng, medium)
        eng._after()
        return True
    status = read_status(data)
    if status is not None:
        taken = _steady_status(eng, status, medium, addr, now, arrived)
        if taken is not None:
            return taken
    dest = peek_ack_dest(data)
    if dest is not None and dest != eng.local_raw and dest.lower() != eng.local_raw:
        return False  # another node's acknowledgement: nothing in it concerns us
    try:
        msg = eng._verifier.verify(data)
    except (DecodeError, AuthError) as exc:
        return _reject(eng, now, addr, medium, exc)
    eng._enter(now)
    heard = now.mono if arrived is None else min(arrived, now.mono)
    _receive(eng, msg, medium, addr, now, heard, late=arrived is not None)
    eng._after()
    return True


def _steady_status(
    eng: Engine,
    st: Status,
    medium: str,
    addr: tuple[str, int],
    now: Instant,
    arrived: float | None,
) -> bool | None:
    """A status in the steady layout (``wire.steady``), from a known peer: received
    exactly as ``_receive`` would, without decoding the whole message; one whose trailer
    does not match is dropped here as the general path would drop it (the same check on
    the same bytes), at the cost of one digest (docs/reliability.md, floods). Returns
    what ``receive_datagram`` returns for it, or None, with nothing changed, for anything
    else; the general path then takes it."""
    peer = eng.peers.peers.get(st.src)
    own = st.src == eng.local
    if peer is None and not own:
        return None
    try:
        eng._verifier.check_trailer(st.key_index, st.digest, st.signed)
    except AuthError as exc:
        return _reject(eng, now, addr, medium, exc)
    if peer is None:  # authentic, under our own name: the general path knows what to do
        return None
    eng._enter(now)
    heard = now.mono if arrived is None else min(arrived, now.mono)
    _heard(eng, peer, st.uuid, medium, heard, st.seq, st.gen)
    if _sequence_ok(eng, peer, "status", addr, now, st.seq, st.gen):
        _on_status(eng, peer, heard, st.dt, True, st.st)
        if arrived is None and st.seq == peer.tracker.last:
            eng.status_heard(now.mono)
    eng._after()
    return True


def _reject(eng: Engine, now: Instant, addr: tuple[str, int], medium: str, exc: Exception) -> bool:
    """Drop a datagram that failed decoding or authentication. True if that left the
    caller something to do (a line to log, the summary's timer to arm, a stall noticed
    on entry), False if it was only counted: a flood then costs no pass over the
    engine's output per datagram."""
    queued, due = len(eng._events), eng.badpackets.due()
    eng._enter(now)
    bad_packet(eng, addr[0], f"dropped packet from {addr[0]} on {medium}: {exc}")
    return len(eng._events) != queued or eng.badpackets.due() != due


def bad_packet(eng: Engine, source: str, text: str) -> None:
    """Log a rejected packet: a warning within ``core.badpackets``' limits, else counted."""
    enabled = eng.config.ha.log_badpack
    for line in eng.badpackets.note(eng._now.mono, source, text, enabled=enabled):
        eng._log(logging.WARNING, line)


def warn_limited(
    eng: Engine, logged: dict[str, float], key: str, text: str, *, enabled: bool = True
) -> None:
    """WARNING at most once per ``BADPACKET_INTERVAL`` per ``key`` (``logged`` remembers
    when, bounded in size); the repeats go to the debug log."""
    last = logged.get(key)
    t = eng._now.mono
    if enabled and (last is None or t - last >= BADPACKET_INTERVAL):
        logged[key] = t
        if len(logged) > 1024:
            logged.clear()
        eng._log(logging.WARNING, text)
    else:
        log.debug("%s", text)


def _receive(
    eng: Engine,
    msg: HaMessage,
    medium: str,
    addr: tuple[str, int],
    now: Instant,
    heard: float,
    *,
    late: bool,
) -> None:
    src, mtype, ts = msg.get("src"), msg.type, msg.get("ts")
    if not src or not mtype or not ts:
        bad_packet(eng, addr[0], f"process_clustermsg: missing from/ts/type from {addr[0]}")
        return
    src = node_key(src)  # names match in any letter case, as in heartbeat
    if src == eng.local:
        _in_our_name(eng, msg, medium, addr)
        return
    peer = eng.peers.get(src)
    if peer is None:
        bad_packet(eng, addr[0], f"message from unknown node [{src}] at {addr[0]} ignored")
        return
    seq, gen = _hex(msg.get("seq")), _hex(msg.get("hg")) or 0
    _heard(eng, peer, msg.get_bytes("srcuuid"), medium, heard, seq, gen)
    dest = _node_name(msg.get("dest"))
    if mtype.startswith("NS_"):
        if dest is None or dest == eng.local:
            handler = NS_HANDLERS.get(mtype)
            if handler is not None:
                handler(eng, peer, msg)
        return
    if not _sequence_ok(eng, peer, mtype, addr, now, seq, gen):
        return
    if dest is not None and dest != eng.local and not (mtype == "ip-request-resp" and dest == src):
        return  # for another node; but a node granting itself a group concerns its holder
    if mtype == "status":
        protocol = msg.get("protocol") is not None
        _on_status(eng, peer, heard, _hex(msg.get("dt")), protocol, msg.get("st") or "")
        if not late and seq == peer.tracker.last:  # its newest, not a retransmitted one
            eng.status_heard(now.mono)
        return
    if mtype not in NOT_FOR_CLIENTS:
        eng._emit(ClusterMessage(peer.name, msg))
    handler = HANDLERS.get(mtype)
    # (A dead peer speaks again with a status first.)
    if handler is not None and peer.status is not NodeStatus.DEAD:
        handler(eng, peer, msg)


def _in_our_name(eng: Engine, msg: HaMessage, medium: str, addr: tuple[str, int]) -> None:
    """A packet signed in our name: ours, looped back, or a namesake's."""
    uuid = msg.get_bytes("srcuuid")
    if uuid is not None and uuid != eng.uuid:
        _namesake(eng, addr, uuid)
    else:
        _heard_self(eng, medium)


def _namesake(eng: Engine, addr: tuple[str, int], uuid: bytes) -> None:
    """An authentic packet in our own name from another node: two hosts share one node
    name. Its packets are not ours (they prove none of our links) and are dropped; the
    operator is told, at ERROR, once a minute."""
    text = (
        f"Another node at {addr[0]} calls itself {eng.local} (uuid {uuid.hex()}, ours is "
        f"{eng.uuid.hex()}): two nodes with one name cannot form a cluster; give each its "
        "own name (uname -n, or the nodeinfo file) and list both in ha.cf"
    )
    last = eng._namesake_logged
    if last is None or eng._now.mono - last >= BADPACKET_INTERVAL:
        eng._namesake_logged = eng._now.mono
        eng._log(logging.ERROR, text)
    else:
        log.debug("%s", text)


def _heard_self(eng: Engine, medium: str) -> None:
    """One of our own packets came back on ``medium``: that link works."""
    if eng.own_links.get(medium) is LinkStatus.DEAD:
        eng.own_links[medium] = LinkStatus.UP
        eng._log(logging.INFO, f"Link {eng.local}:{medium} up.")
        eng._emit(LinkStateChanged(eng.local, medium, LinkStatus.UP))  # as 3.0.6's ifstat
        eng.own_links_up()


def _heard(
    eng: Engine, peer: Peer, uuid: bytes | None, medium: str, t: float, seq: int | None, gen: int
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
        eng._log(logging.INFO, f"Link {peer.name}:{medium} up.")
        eng._emit(LinkStateChanged(peer.name, medium, LinkStatus.UP))


def _sequence_ok(
    eng: Engine,
    peer: Peer,
    mtype: str,
    addr: tuple[str, int],
    now: Instant,
    seq: int | None,
    gen: int,
) -> bool:
    if seq is None or seq <= 0:
        bad_packet(eng, addr[0], f"process_clustermsg: missing seqno from {peer.name}")
        return False
    if peer.gone_gen is not None and gen <= peer.gone_gen:
        return False  # the rest of a generation that said shutdone
    known = peer.tracker.generation
    got = peer.tracker.receive(gen, seq, now.mono, is_status=mtype == "status")
    if got.verdict is Verdict.REPLAY:
        bad_packet(
            eng,
            addr[0],
            f"should_drop_message: attempted replay attack [{peer.name}]? "
            f"[gen = {gen}, curgen = {known}]",
        )
        return False
    if got.verdict is Verdict.DUPLICATE:
        return False
    if got.verdict is Verdict.RESTART:
        eng._log(logging.INFO, f"Heartbeat restart on node {peer.name}")
        peer.gone_gen = None
        peer.restarted_since_dead = True
        peer.acked = 0
        eng.ownership.peer_restarted(peer.name)
    if known is None:
        peer.restarted_since_dead = True  # first contact: a join, not a return
    if got.gap is not None:
        last, new = got.gap
        eng._log(
            logging.WARNING,
            f"{new - last - 1} lost packet(s) for [{peer.name}] [{last}:{new}]",
        )
    if got.filled:
        eng._log(logging.INFO, f"No pkts missing from {peer.name}!")
    peer.heard = True
    if seq % 10 == peer.ack_trigger and not peer.tracker.missing:
        eng.send("NS_ackmsg", [("ackseq", f"{seq:x}")], dest=peer.name)
    return True


# -- handlers ----------------------------------------------------------------------


def _on_status(eng: Engine, peer: Peer, t: float, dt: int | None, protocol: bool, st: str) -> None:
    """A status that reached the host at ``t``, with its ``dt`` (None if absent or not
    hex), whether it had a ``protocol`` field, and its ``st`` ("" if absent)."""
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
            eng._log(level, f"Late heartbeat: Node {peer.name}: interval {ms} ms{suffix}")
            eng._emit(HeartbeatLate(peer.name, ms, over))
    peer.last_status = t
    peer.probe_at = t + (PROBE_AFTER + eng.statuses_lazy) * eng.keepalive
    new = _NODE_STATUS.get(st)
    if new is None or new is NodeStatus.DEAD:
        return
    old = peer.status
    if new is old:
        return
    peer.status = new
    eng._log(logging.INFO, f"Status update for node {peer.name}: status {new}")
    eng._emit(PeerStateChanged(peer.name, old, new))
    eng._emit(StatusChanged())
    if old is NodeStatus.DEAD and eng.comm_up:
        if not peer.restarted_since_dead:
            eng._log(logging.CRITICAL, f"Cluster node {peer.name} returning after partition.")
            eng.ownership.peer_returned(peer.name, eng._now.mono)
        else:
            eng.ownership.peer_up(peer.name)
    peer.restarted_since_dead = False


def _on_shutdone(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    eng._log(logging.INFO, f"Received shutdown notice from '{peer.name}'.")
    peer.gone_gen = peer.tracker.generation
    eng._declare_dead(peer.name, graceful=True)


def _on_reqnodes(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    # Our status goes first: a 3.0.6 node whose communication comes up with our answer
    # then counts us as active when it decides between asking for its groups and taking
    # them (docs/ownership.md).
    eng.send_status_now()
    names = "".join(f"{n} " for n in eng.config.ha.node)
    eng.send("repnodes", [("nodelist", names), ("delnodelist", " ")], dest=peer.name)


def _on_repnodes(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    if not eng.comm_up:
        eng._go_active()


def _on_starting(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    eng.ownership.on_starting(peer.name)


def _on_resource(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    hold = msg.get("rsc_hold")
    if hold is not None:
        eng.ownership.on_resource(
            peer.name,
            hold,
            msg.get("rtype"),
            msg.get("isstable"),
            msg.get("provisional"),
            msg.get("info"),
            now=eng._now.mono,
        )


def _on_ask_resources(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    hold, info = msg.get("rsc_hold"), msg.get("info")
    if hold is not None and info is not None and eng.comm_up:
        eng.ownership.standby.on_ask_resources(peer.name, hold, info, eng._now.mono)


def _on_hb_takeover(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    hold = msg.get("rsc_hold")
    if hold is not None and eng.comm_up:
        eng.ownership.standby.on_hb_takeover(peer.name, hold, eng._now.mono)


def _on_ip_request(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    # Answered even before our communication is up: the ownership answers once its
    # start-up clean-up is done, so the asking node never waits for a request repeated.
    key = msg.get("ipaddr")
    if key is not None:
        eng.ownership.legacy.on_ip_request(peer.name, key, eng._now.mono)


def _on_ip_request_resp(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    key = msg.get("ipaddr")
    if key is not None and eng.comm_up:
        dest = _node_name(msg.get("dest"))
        ok, weown = msg.get("ok"), msg.get("weown")
        eng.ownership.legacy.on_ip_request_resp(peer.name, dest, key, ok, weown, eng._now.mono)


def _on_rexmit(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    try:
        first = int(msg.get("firstseq") or "")
        last = int(msg.get("lastseq") or "")
    except ValueError:
        return
    if last < first:
        return
    for seq in range(first, min(last, first + MAX_REXMIT_PER_REQUEST - 1) + 1):
        if not peer.rexmit_answers.take(eng._now.mono):
            log.debug("NS_rexmit from %s: answer budget spent at seq %d", peer.name, seq)
            break
        found, data = eng.history.lookup(seq, eng._now.mono)
        if found is Lookup.FOUND and data is not None:
            eng._outbox.append(data)
        elif found in (Lookup.TOO_LOW, Lookup.NOT_FOUND):
            fields = [("firstseq", f"{seq:x}"), ("info", found.value)]
            eng.send("NS_nak_rexmit", fields, dest=peer.name)
        elif found is Lookup.TOO_HIGH:
            # A quiet-peer probe may ask one packet ahead of us: rate-limited per peer.
            text = f"Rexmit of seq {seq} requested. {eng.history.next_seq - 1} is max."
            warn_limited(eng, eng._rexmit_high_logged, peer.name, text)
            break


def _on_ackmsg(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    """A peer got everything of ours up to ``ackseq``: free history every live peer has.

    As heartbeat.c's ack handling: history is kept back to the lowest ack of the live
    peers; with no live peer, or one without flow control (no ``protocol`` field), only
    the MAXMSGHIST cap applies.
    """
    seq = _hex(msg.get("ackseq"))
    if seq is None or seq >= eng.history.next_seq or seq <= peer.acked:
        return
    peer.acked = seq
    live = eng.peers.live()
    if not live or not all(p.protocol for p in live):
        return
    eng.history.release_through(min(p.acked for p in live))


def _on_nak_rexmit(eng: Engine, peer: Peer, msg: HaMessage) -> None:
    seq = _hex(msg.get("firstseq"))
    if seq is not None and seq in peer.tracker.missing:
        del peer.tracker.missing[seq]
        eng._log(logging.ERROR, f"Irretrievably lost packet: node {peer.name} seq {seq}")


# Membership requests: answered here, never handed to the API (3.0.6 does the same).
NOT_FOR_CLIENTS = frozenset({"reqnodes", "repnodes"})

HANDLERS: dict[str, Handler] = {
    "shutdone": _on_shutdone,
    "reqnodes": _on_reqnodes,
    "repnodes": _on_repnodes,
    "starting": _on_starting,
    "resource": _on_resource,
    "ask_resources": _on_ask_resources,
    "hb_takeover": _on_hb_takeover,
    "ip-request": _on_ip_request,
    "ip-request-resp": _on_ip_request_resp,
}
NS_HANDLERS: dict[str, Handler] = {
    "NS_ackmsg": _on_ackmsg,
    "NS_rexmit": _on_rexmit,
    "NS_nak_rexmit": _on_nak_rexmit,
}
