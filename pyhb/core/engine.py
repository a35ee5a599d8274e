"""The sans-I/O heartbeat engine: the only façade the daemon drives.

Contract (aioquic-style): ``receive_datagram`` / ``request`` / ``script_finished`` /
``handle_timer`` feed it, each with the ``now`` the caller read once; the caller
then drains ``datagrams_to_send`` (each goes out on every medium) and
``next_event``, and re-arms one timer at ``get_timer()``. See
docs/architecture.md#the-engine-contract.

Membership: own ``status`` every keepalive (and at once on a change); a node is
dead ``dt`` after its last status (``initdead`` until communication is up); links
per medium; reqnodes/repnodes before going active (3.0.6 peers insist on it when
they send ``protocol=1``); acks for every 10th sequence number; retransmission
requests and answers. Resource ownership lives in ``core.ownership``.

Never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Collection

from pyhb.clock import Instant
from pyhb.config.model import ClusterConfig, ResourceGroup, node_key
from pyhb.core import inbound
from pyhb.core.badpackets import BadPacketLog
from pyhb.core.compose import Composer, Pair
from pyhb.core.events import (
    Cleanup,
    ClusterMessage,
    Command,
    Event,
    FencePeer,
    GroupAction,
    LinkStateChanged,
    LinkStatus,
    LogLine,
    MonitorFailure,
    NodeStatus,
    OwnStatusesKnown,
    PeerStateChanged,
    RunGroups,
    Shutdown,
    ShutdownComplete,
    Standby,
    StatusChanged,
    Takeover,
)
from pyhb.core.keychange import GRACE as KEY_CHANGE_GRACE
from pyhb.core.keychange import grace_verifier
from pyhb.core.ownership import Ownership
from pyhb.core.peers import PROBE_EVERY, PeerTable
from pyhb.core.pingnodes import NodeInfo, PingTable
from pyhb.core.seqno import SendHistory
from pyhb.core.snapshot import GroupView, LinkView, NodeView, Snapshot
from pyhb.wire.auth import Signer, Verifier
from pyhb.wire.fields import TEXT_ENCODING, TEXT_ERRORS
from pyhb.wire.message import HaMessage
from pyhb.wire.steady import Template

log = logging.getLogger(__name__)

RECENT_SENT = 8  # own datagrams remembered to recognise them when they loop back
REQNODES_PERIOD = 1.0  # 3.0.6 re-sends reqnodes every second until answered
STATUS_ALIGN = 0.5  # keepalives: how early our status may go out to join a peer's
STATUS_SLOTS = ("seq", "ts", "ld")  # the fields of our status that change each time
FOLLOW_SLACK, FOLLOW_SLACK_MAX = 0.05, 0.02  # keepalives, seconds: see status_heard


class Engine:
    """One node's protocol state. Not thread-safe; one caller at a time."""

    def __init__(
        self,
        config: ClusterConfig,
        *,
        uuid: bytes,
        generation: int,
        now: Instant,
        rand: Callable[[], float],
        loadavg: Callable[[], str] = lambda: "n/a",
        manage_resources: bool = True,
    ) -> None:
        ha = config.ha
        self.config = config
        self.local = node_key(config.local_node)
        self.local_raw = self.local.encode(TEXT_ENCODING, TEXT_ERRORS)  # as on the wire
        self.keepalive = ha.keepalive / 1000
        self.deadtime = ha.deadtime / 1000
        self.warntime = ha.warntime / 1000
        self.initdead = ha.initdead / 1000
        self.media = tuple(dict.fromkeys(m.name for m in ha.media))
        self.started = now.mono
        self.status = NodeStatus.INIT
        self.comm_up = False
        self.generation = generation
        self._rand = rand
        self._signer = Signer(config.authkeys, inner=ha.msgfmt == "classic")
        self._verifier = Verifier(config.authkeys)
        self._key_grace_until: float | None = None  # see core.keychange
        self._status_templates: dict[tuple[NodeStatus, str], Template] = {}
        self._compose = Composer(
            node=self.local,
            uuid=uuid,
            generation=generation,
            ttl=ha.hopfudge + len(ha.node),
            loadavg=loadavg,
        )
        self.uuid = uuid
        rexmit = ha.max_rexmit_delay / 1000
        self.history = SendHistory(max_rexmit_delay=rexmit)
        self.peers = PeerTable.build(config.peers, self.media, self.deadtime, rexmit, rand)
        self.own_links = {m: LinkStatus.DEAD for m in self.media}
        self.pings = PingTable(
            ha.ping_nodes, deadping=ha.deadping / 1000, warntime=self.warntime, started=now.mono
        )
        self._outbox: list[bytes] = []
        # Our last datagrams as sent: one that comes back (bcast/mcast loop) is known as
        # our own without decoding and authenticating it again (``inbound``).
        self._recent_sent: deque[bytes] = deque(maxlen=RECENT_SENT)
        self._events: deque[Event] = deque()
        self._next_status = now.mono
        self._reqnodes_due: float | None = None
        self._op_ids = 0
        self._last_entry = now.mono
        self._now = now
        self.badpackets = BadPacketLog()
        self._rexmit_high_logged: dict[str, float] = {}
        self._namesake_logged: float | None = None
        groups = config.groups if manage_resources else ()
        self.ownership = Ownership(
            self.local, groups, ha.auto_failback, self._send_from_ownership, self._run, self._log
        )
        self.ownership.on_announce = self._emit_announce
        self.ownership.on_down = lambda: self._emit(ShutdownComplete())
        fence = self.ownership.fence  # STONITH before takeover (core.fencing)
        fence.enabled = bool(groups and ha.fencing.devices_for(self.local))
        fence.request = lambda peer: self._emit(FencePeer(peer))
        # Set by the shell when peers' steady statuses are read at our own timer rather
        # than as they arrive: one may then be read up to a keepalive after it came, so
        # a quiet peer is probed a keepalive later than otherwise.
        self.statuses_lazy = False
        self.handle_timer(now)

    # -- plumbing ------------------------------------------------------------------------

    def _log(self, level: int, text: str) -> None:
        self._events.append(LogLine(level, text))

    def _emit(self, event: Event) -> None:
        self._events.append(event)

    def _send_from_ownership(
        self, mtype: str, fields: list[tuple[str, str]], dest: str | None
    ) -> None:
        self.send(mtype, fields, dest=dest)
        self._emit(StatusChanged())

    def send(
        self, mtype: str, fields: list[tuple[str, str]], *, dest: str | None = None
    ) -> int | None:
        """Queue one message to every medium; returns its seq (None for NS_ types)."""
        sequenced = not mtype.startswith("NS_")
        seq = self.history.allocate() if sequenced else None
        peer = self.peers.get(dest) if dest is not None else None
        dest_uuid = self.uuid if dest == self.local else (peer.uuid if peer else None)
        pairs = self._compose.build(
            mtype, fields, seq=seq, wall=self._now.wall, dest=dest, dest_uuid=dest_uuid
        )
        data = self._signer.datagram_of(pairs)
        if seq is not None:
            self.history.record(seq, data)
            if (dest is None or dest == self.local) and mtype not in inbound.NOT_FOR_CLIENTS:
                # 3.0.6 hands its own messages to its API clients as it reads them back.
                self._emit(ClusterMessage(self.local, HaMessage(tuple(pairs))))
        self._outbox.append(data)
        return seq

    def send_verbatim(self, fields: list[tuple[str, str | bytes]], now: Instant) -> list[Pair]:
        """Queue a message composed by an API client (``t`` first; a ``dest`` among its
        fields addresses it) with our trailer; returns the message as sent, but ``auth``."""
        self._enter(now)
        dest = next((v for k, v in fields if k == "dest" and isinstance(v, str)), None)
        peer = self.peers.get(dest) if dest is not None else None
        dest_uuid = self.uuid if dest == self.local else (peer.uuid if peer else None)
        seq = self.history.allocate()
        pairs = self._compose.verbatim(fields, seq=seq, wall=now.wall, dest_uuid=dest_uuid)
        data = self._signer.datagram_of(pairs)
        self.history.record(seq, data)
        self._outbox.append(data)
        self._after()
        return pairs

    def _run(
        self,
        action: GroupAction,
        groups: tuple[ResourceGroup, ...],
        reason: str,
        only_running: bool,
    ) -> int:
        self._op_ids += 1
        self._emit(RunGroups(self._op_ids, action, groups, reason, only_running))
        self._emit(StatusChanged())
        return self._op_ids

    def _emit_announce(self, keys: frozenset[str]) -> None:
        """Re-send gratuitous ARPs for the groups ``keys`` we keep: ownership was in doubt.
        (Never for a group being released: neighbours would follow the loser.)"""
        held = tuple(g for k, g in self.ownership.groups.items() if k in keys)
        if held:
            self._op_ids += 1
            self._emit(RunGroups(self._op_ids, GroupAction.ANNOUNCE, held, "re-announce"))

    def _enter(self, now: Instant) -> None:
        """Bookkeeping at every entry point: the time, and detection of a frozen process."""
        gap = now.mono - self._last_entry
        self._now = now
        self._last_entry = max(self._last_entry, now.mono)
        if gap > max(self.deadtime, 2 * self.keepalive) and self.comm_up:
            self._log(
                logging.WARNING,
                f"pyhb was not scheduled for {gap * 1000:.0f} ms (more than deadtime): "
                "peer deadlines restarted, held resources re-checked",
            )
            for p in self.peers:
                if p.alive and p.last_status is not None:
                    p.last_status = now.mono
                for link in p.links.values():
                    if link.last_heard is not None:
                        link.last_heard = now.mono
            self.pings.stalled(now.mono)
            self._next_status = now.mono
            self.ownership.stalled(now.mono)

    # -- the four-method contract --------------------------------------------------------

    # One UDP payload from ``addr`` on ``medium`` (the link name: the interface); see
    # ``inbound.receive_datagram``, which is this method itself (no call in between: it
    # runs for every datagram). ``arrived`` (monotonic, not after ``now``) is when a
    # datagram read late reached the host: liveness is dated by it (``statuses_lazy``).
    # False if it was dropped without changing anything.
    receive_datagram = inbound.receive_datagram

    def datagrams_to_send(self, now: Instant) -> list[bytes]:
        """Datagrams queued since the last call; each goes out on every medium."""
        del now
        out, self._outbox = self._outbox, []
        self._recent_sent.extend(out)
        return out

    def next_event(self) -> Event | None:
        """The next event or effect for the shell, or None."""
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """The earliest monotonic deadline at which ``handle_timer`` must run.

        Runs after every input, so it is written out flat (no lists or generators): the
        rules are ``Peer.dead_deadline``, a link's ``last_heard + dt``, the peer's
        retransmission requests and quiet-peer probe, then our own timers.
        """
        t = self._next_status
        comm_up, initdead, up = self.comm_up, self.initdead, LinkStatus.UP
        for p in self.peers.peers.values():
            if p.status is not NodeStatus.DEAD:
                last = p.last_status
                if last is None:
                    d = self.started + initdead
                else:
                    d = last + (p.dt if comm_up else initdead)
                t = min(t, d)
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
        for r in (
            self._reqnodes_due,
            self.ownership.next_deadline(),
            self.badpackets.due(),
            self._key_grace_until,
            self.pings.deadline(initdead) if self.pings else None,
        ):
            if r is not None and r < t:
                t = r
        return t

    def statuses_wanted(self) -> bool:
        """Whether the shell must read peers' steady statuses as they arrive rather than
        at our own timer (``statuses_lazy``): while a peer is dead, so that one that
        speaks again (a healed partition, a link back up) is noticed at once."""
        for p in self.peers.peers.values():  # noqa: SIM110 (runs after every input: no generator)
            if p.status is NodeStatus.DEAD:
                return True
        return False

    def handle_timer(self, now: Instant) -> None:
        """Do whatever is due at ``now``."""
        self._enter(now)
        t = now.mono
        if t >= self._next_status:
            self._send_status()
        self._check_timeouts(t)
        peers = self.peers.peers.values()
        for p in peers:
            if not p.tracker.missing:  # nothing to ask for (``due`` would say so)
                continue
            for first, last in p.tracker.due(t):
                if p.alive:
                    self.send(
                        "NS_rexmit",
                        [("firstseq", str(first)), ("lastseq", str(last))],
                        dest=p.name,
                    )
        for p in peers:
            if p.probe_at is not None and t >= p.probe_at:
                self._probe_quiet_peers(t)
                break
        if self._reqnodes_due is not None and t >= self._reqnodes_due:
            self._send_reqnodes(t)
        due = self.ownership.next_deadline()
        if due is not None and t >= due:
            self.ownership.timer(t)
        for line in self.badpackets.summary(t):
            self._log(logging.WARNING, line)
        if self._key_grace_until is not None and t >= self._key_grace_until:
            self._key_grace_until = None
            self._verifier = Verifier(self.config.authkeys)
            self._log(logging.INFO, "Key change grace over: only the keys of authkeys count")
        self._after()

    def reconfigure(self, config: ClusterConfig, now: Instant) -> None:
        """Apply a reloaded configuration's timings and authkeys; the rest stays as started.

        A peer whose advertised dead time was our old deadtime gets the new one; the next
        status goes out at once so peers see the new ``dt`` without waiting a keepalive.
        """
        self._enter(now)
        ha = config.ha
        old_deadtime = self.deadtime
        self.keepalive = ha.keepalive / 1000
        self.deadtime = ha.deadtime / 1000
        self.warntime = ha.warntime / 1000
        self.initdead = ha.initdead / 1000
        for p in self.peers:
            if p.dt == old_deadtime:
                p.dt = self.deadtime
        self._signer = Signer(config.authkeys, inner=self.config.ha.msgfmt == "classic")
        self._verifier = Verifier(config.authkeys)
        self._key_grace_until = None
        grace = grace_verifier(self.config.authkeys, config.authkeys)
        if grace is not None:
            self._verifier = grace
            self._key_grace_until = now.mono + KEY_CHANGE_GRACE
            self._log(
                logging.WARNING,
                f"Active key changed from crc key {self.config.authkeys.active}: packets "
                f"signed with it are accepted for {KEY_CHANGE_GRACE:.0f} s more, while the "
                "other nodes change theirs",
            )
        self._status_templates.clear()
        self.config = config
        self._next_status = now.mono
        self.own_links_up()  # our status may start differently now (dt)
        self._after()

    def request(self, cmd: Command, now: Instant) -> str | None:
        """An operator command; None when accepted, else the reason it was refused."""
        self._enter(now)
        own, t = self.ownership, now.mono
        match cmd:
            case Standby(hold):
                result = own.standby.request(hold, t) if self.comm_up else "heartbeat is starting"
            case Takeover(hold):
                if self.comm_up:
                    own.monitor.takeover_clears(hold)
                result = (
                    own.standby.request_takeover(hold) if self.comm_up else "heartbeat is starting"
                )
            case MonitorFailure(key, first, move, reason):
                result = own.monitor.failure(key, first, move, reason, t)
            case Cleanup(key):
                result = own.monitor.cleanup(key, t)
            case Shutdown():
                self._log(logging.INFO, "Heartbeat shutdown in progress.")
                at_once = not self.comm_up or not self.config.groups
                if at_once:
                    self._send_status()
                own.shutdown(t, at_once=at_once)
                result = None
        self._after()
        return result

    def script_finished(self, op_id: int, failed: Collection[str], now: Instant) -> None:
        """A ``RunGroups`` effect completed; ``failed`` names the groups that failed."""
        self._enter(now)
        self.ownership.finished(op_id, failed, now.mono)
        self._after()

    def fence_finished(self, peer: str, now: Instant) -> None:
        """The daemon reset ``peer`` (a ``FencePeer`` effect): takeover may go on."""
        self._enter(now)
        if self.ownership.fence.reset_done(peer):
            self.ownership.evaluate(now.mono)
        self._after()

    def fence_wanted(self, peer: str) -> bool:
        """Is the reset of ``peer`` still wanted (it has not been heard from since)?"""
        return self.ownership.fence.wanted(peer)

    def _after(self) -> None:
        self.ownership.after_input(self._now.mono)

    # -- membership --------------------------------------------------------------------

    def _send_status(self) -> None:
        if self.status is NodeStatus.INIT:
            self._send_status_word(NodeStatus.INIT)
            self.status = NodeStatus.UP
            self._log(logging.INFO, "Local status now set to: 'up'")
        self._send_status_word(self.status)
        self._next_status = self._now.mono + self.keepalive

    def send_status_now(self) -> None:
        """Send our status at once, an extra one: the regular ones keep their times."""
        if self.status is not NodeStatus.INIT:
            self._send_status_word(self.status)

    def status_heard(self, t: float) -> None:
        """A peer's newest status arrived at ``t``: if ours is due within
        ``STATUS_ALIGN`` keepalives, it goes out now instead.

        Nodes that start at random moments thus settle into sending their statuses
        together, one following another's; a node then wakes up about once per
        keepalive for every status of the cluster instead of once per node plus once
        for its own. Having followed, our own timer is set ``FOLLOW_SLACK`` later than
        a keepalive (only while that stays below ``warntime``), so that the next status
        we follow arrives before it fires rather than just after it. Our statuses are
        thus never more than a keepalive plus that slack apart, and never less than
        ``1 - STATUS_ALIGN`` keepalives.
        """
        if (
            self.comm_up
            and self.status in (NodeStatus.UP, NodeStatus.ACTIVE)
            and self._next_status - t <= STATUS_ALIGN * self.keepalive
        ):
            self._send_status()
            slack = min(FOLLOW_SLACK * self.keepalive, FOLLOW_SLACK_MAX)
            if self.keepalive + slack < self.warntime:
                self._next_status += slack

    def _status_template(self, st: NodeStatus) -> Template:
        """Our status ``st`` as ``send("status", ...)`` would build it, but for ``seq``,
        ``ts`` and ``ld``, which change from one status to the next."""
        dt = f"{int(self.deadtime * 1000):x}"
        template = self._status_templates.get((st, dt))
        if template is None:
            fields = [("st", str(st)), ("dt", dt), ("protocol", "1")]
            pairs = self._compose.build("status", fields, seq=0, wall=0.0)
            template = Template(self._signer, pairs, STATUS_SLOTS)
            if len(self._status_templates) >= len(NodeStatus):
                self._status_templates.clear()  # a reload changed dt: the old ones go
            self._status_templates[(st, dt)] = template
        return template

    def own_links_up(self) -> None:
        """Every medium has carried one of our packets back: tell the shell what our
        steady statuses start with (``OwnStatusesKnown``), so it need not read them."""
        if all(s is LinkStatus.UP for s in self.own_links.values()):
            self._emit(OwnStatusesKnown(self._status_template(NodeStatus.ACTIVE).head))

    def _send_status_word(self, st: NodeStatus) -> None:
        """Queue our status (see ``_status_template``)."""
        template = self._status_template(st)
        seq = self.history.allocate()
        data = template.datagram(f"{seq:x}", f"{int(self._now.wall):x}", self._compose.loadavg())
        self.history.record(seq, data)
        self._outbox.append(data)

    def _probe_quiet_peers(self, t: float) -> None:
        """A peer's status is overdue: ask for the packets it should have sent since.

        On a lossy link the statuses that would keep a live peer alive may all be lost
        within one deadtime. A retransmission request for the sequence numbers after the
        last one received (``NS_rexmit``, which 3.0.6 answers too) brings back whatever
        the peer did send; a retransmitted status refreshes its liveness like any status
        we had not seen. A dead peer simply does not answer. Replays cannot help an
        attacker: only sequence numbers not yet received are accepted.
        """
        if not self.comm_up:
            return
        for p in self.peers:
            if p.probe_at is None or not p.alive or t < p.probe_at or p.last_status is None:
                continue
            silent = t - p.last_status
            count = max(1, min(int(silent / self.keepalive), 8))
            first = p.tracker.last + 1
            self.send(
                "NS_rexmit", [("firstseq", str(first)), ("lastseq", str(first + count - 1))],
                dest=p.name,
            )  # fmt: skip
            p.probe_at = t + PROBE_EVERY * self.keepalive

    def _check_timeouts(self, t: float) -> None:
        for p in self.peers.peers.values():
            d = p.dead_deadline(self.started, self.initdead, self.comm_up)
            if d is not None and t >= d:
                self._declare_dead(p.name, graceful=False)
            for link in p.links.values():
                if (
                    link.status is LinkStatus.UP
                    and link.last_heard is not None
                    and t >= link.last_heard + p.dt
                ):
                    link.status = LinkStatus.DEAD
                    self._log(logging.INFO, f"Link {p.name}:{link.name} dead.")
                    self._emit(LinkStateChanged(p.name, link.name, LinkStatus.DEAD))
        if self.pings:
            self._events.extend(self.pings.check(t, self.initdead))
        if not self.comm_up:
            self._check_comm_up(t)

    def ping_reply(self, name: str, now: Instant) -> None:
        """An ICMP echo reply for ping node ``name`` arrived (docs/pingnodes.md)."""
        self._enter(now)
        self._events.extend(self.pings.heard(name, now.mono))
        if not self.comm_up:
            self._check_comm_up(now.mono)
        self._after()

    def nodes_info(self) -> tuple[NodeInfo, ...]:
        """Every node's name, type and status: peers, ping nodes, then us."""
        own = (NodeInfo(self.local, "normal", self.status),)
        peers = tuple(NodeInfo(p.name, "normal", p.status) for p in self.peers)
        return peers + self.pings.info() + own

    def _declare_dead(self, name: str, *, graceful: bool) -> None:
        p = self.peers.get(name)
        if p is None or p.status is NodeStatus.DEAD:
            return
        old = p.status
        p.status = NodeStatus.DEAD
        p.probe_at = None
        p.tracker.forget()
        if not graceful:
            self._log(logging.WARNING, f"node {name}: is dead")
        self._emit(PeerStateChanged(name, old, NodeStatus.DEAD))
        self._emit(StatusChanged())
        if self.comm_up:
            self.ownership.peer_dead(name, self._now.mono, graceful=graceful)

    def _check_comm_up(self, t: float) -> None:
        """Communication is up once every node was heard from or declared dead, and the
        reqnodes/repnodes exchange (if the peer uses it) has completed."""
        if self.comm_up:
            return
        if any(not p.heard and p.status is not NodeStatus.DEAD for p in self.peers):
            return
        if not self.pings.settled():
            return
        live = [p for p in self.peers.live() if p.protocol]
        if live and self._reqnodes_due is None:
            self._send_reqnodes(t)
            return
        if not live:
            self._go_active()

    def _send_reqnodes(self, t: float) -> None:
        live = [p for p in self.peers.live() if p.protocol]
        if self.comm_up or not live:
            self._reqnodes_due = None
            if not self.comm_up and not live:
                self._go_active()
            return
        self.send("reqnodes", [], dest=live[0].name)
        self._reqnodes_due = t + REQNODES_PERIOD

    def _go_active(self) -> None:
        self.comm_up = True
        self._reqnodes_due = None
        self._log(logging.INFO, "Comm_now_up(): updating status to active")
        self._log(logging.INFO, "Local status now set to: 'active'")
        self.status = NodeStatus.ACTIVE
        self._send_status()
        live = self.peers.live()
        self._emit(StatusChanged())
        for p in () if live else self.peers:  # alone: reset the peers never heard from
            self.ownership.fence.peer_lost(p.name)
        self.ownership.comm_up(live[0].name if live else None, self._now.mono)

    # -- the read-only view ------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """What ``cl_status`` shows, in 3.0.6's node order (peers first, then us)."""
        views = {
            p.name: NodeView(
                p.name, p.status, tuple(LinkView(n, lk.status) for n, lk in p.links.items())
            )
            for p in self.peers
        }
        own = tuple(LinkView(n, s) for n, s in self.own_links.items())
        views[self.local] = NodeView(self.local, self.status, own)
        # 3.0.6 lists nodes in reverse ha.cf order (``node a b`` lists b, then a).
        nodes = tuple(views[n] for n in reversed(self.config.ha.node) if n in views)
        nodes = tuple(reversed(self.pings.views())) + nodes  # ping nodes: after the nodes
        own_state = self.ownership
        groups = tuple(
            GroupView(g.key, g.node, own_state.state[g.key], own_state.errors.get(g.key))
            for g in own_state.groups.values()
        )
        return Snapshot(
            local_node=self.local,
            local_status=self.status,
            nodes=nodes,
            rscstatus=own_state.rscstatus(),
            groups=groups,
            params=dict(self.config.ha.params),
        )
