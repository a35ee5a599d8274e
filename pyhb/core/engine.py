"""The sans-I/O heartbeat engine: the only façade the daemon drives.

Contract (aioquic-style): ``receive_datagram`` / ``request`` / ``script_finished`` /
``handle_timer`` feed it, each with the ``now`` the caller read once; the caller
then drains ``datagrams_to_send`` (each goes out on every medium) and
``next_event``, and re-arms one timer at ``get_timer()``. See
docs/architecture.md#the-engine-contract.

Here: the timers, a node dead ``dt`` after its last status (``initdead`` until
communication is up), links dead per medium, and the glue of the parts, each a module
named for what it owns: ``core.receiver`` and ``core.handlers`` (what a datagram does),
``core.outbox`` (what we send), ``core.keepalive`` (our status, quiet-peer probes),
``core.commup`` (reqnodes/repnodes), ``core.splitmedia`` (lazily read statuses) and
``core.views`` (the read side); resource ownership is ``core.ownership``. The receive
path reaches the engine only through ``core.handlers.Host``, which the engine is.

Never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Collection

from pyhb.clock import Instant
from pyhb.config.model import ClusterConfig, ResourceGroup, node_key
from pyhb.core import events as ev
from pyhb.core import views
from pyhb.core.badpackets import BadPacketLog
from pyhb.core.commup import CommUp
from pyhb.core.compose import Composer, Pair
from pyhb.core.handlers import NOT_FOR_CLIENTS
from pyhb.core.keepalive import Keepalive
from pyhb.core.keychange import Keys
from pyhb.core.outbox import Outbox, wire_name
from pyhb.core.ownership import Ownership
from pyhb.core.peers import PeerTable
from pyhb.core.pingnodes import NodeInfo, PingTable
from pyhb.core.receiver import Receiver
from pyhb.core.seqno import SendHistory
from pyhb.core.snapshot import Snapshot
from pyhb.core.splitmedia import SplitMedia
from pyhb.wire.auth import Signer, Verifier
from pyhb.wire.message import HaMessage

log = logging.getLogger(__name__)


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
        lazy_statuses: bool = False,
    ) -> None:
        """``lazy_statuses``: the shell reads peers' steady statuses at our own timer
        rather than as they arrive (split media, ``core.splitmedia``)."""
        ha = config.ha
        self.config = config
        self.local = node_key(config.local_node)
        self.local_raw = wire_name(config)
        self._set_timings(config)
        self.media = tuple(dict.fromkeys(m.name for m in ha.media))
        self.started = now.mono
        self.comm_up = False
        self.generation = generation
        self._keys = Keys(config.authkeys)  # see core.keychange
        self.uuid = uuid
        rexmit = ha.max_rexmit_delay / 1000
        self.history = SendHistory(max_rexmit_delay=rexmit)
        self.peers = PeerTable.build(config.peers, self.media, self.deadtime, rexmit, rand)
        self.own_links = {m: ev.LinkStatus.DEAD for m in self.media}
        self.pings = PingTable(
            ha.ping_nodes, deadping=ha.deadping / 1000, warntime=self.warntime, started=now.mono
        )
        ttl = ha.hopfudge + len(ha.node)
        self._out = Outbox(
            Composer(node=self.local, uuid=uuid, generation=generation, ttl=ttl, loadavg=loadavg),
            Signer(config.authkeys, inner=ha.msgfmt == "classic"),
            self.history,
            self.peers,
            local=self.local,
            uuid=uuid,
        )
        self._events: deque[ev.Event] = deque()
        self._status = Keepalive(self._out, self._log, first=now.mono)
        self.split = SplitMedia(
            lazy_statuses, self.peers, self.own_links, self._own_status_head, self._emit
        )
        self.statuses_wanted = self.split.wanted  # read peers' statuses as they come?
        self._comm = CommUp(self.peers, self.pings, self.send, self.go_active)
        self._op_ids = 0
        self._last_entry = now.mono
        self._now = now
        self.badpackets = BadPacketLog()
        groups = config.groups if manage_resources else ()
        self.ownership = Ownership(
            self.local, groups, ha.auto_failback, self._send_from_ownership, self._run, self._log
        )
        self.ownership.on_announce = self._emit_announce
        self.ownership.on_down = lambda: self._emit(ev.ShutdownComplete())
        fence = self.ownership.fence  # STONITH before takeover (core.fencing)
        fence.enabled = bool(groups and ha.fencing.devices_for(self.local))
        fence.request = lambda peer: self._emit(ev.FencePeer(peer))
        receiver = Receiver(
            self,
            local=self.local,
            local_raw=self.local_raw,
            uuid=uuid,
            peers=self.peers,
            own_links=self.own_links,
            recent_sent=self._out.recent,
            badpackets=self.badpackets,
            history=self.history,
            ownership=self.ownership,
            split=self.split,
        )
        # One UDP payload: ``Receiver.receive_datagram`` itself (no call in between: it
        # runs for every datagram). False if it was dropped without changing anything.
        self.receive_datagram = receiver.receive_datagram
        self.handle_timer(now)

    def _set_timings(self, config: ClusterConfig) -> None:
        ha = config.ha
        self.keepalive, self.deadtime = ha.keepalive / 1000, ha.deadtime / 1000
        self.warntime, self.initdead = ha.warntime / 1000, ha.initdead / 1000

    # -- plumbing, and what the receive path asks of the engine (core.handlers.Host) ----

    def _log(self, level: int, text: str) -> None:
        self._events.append(ev.LogLine(level, text))

    def _emit(self, event: ev.Event) -> None:
        self._events.append(event)

    log_line = _log
    emit = _emit

    def queued(self) -> int:
        """How many events wait for ``next_event``."""
        return len(self._events)

    def resend(self, data: bytes) -> None:
        """Queue one of our datagrams again, as it was sent (a retransmission)."""
        self._out.resend(data)

    @property
    def verifier(self) -> Verifier:
        """What received datagrams are checked with (the old key too during a key change)."""
        return self._keys.verifier

    def _send_from_ownership(
        self, mtype: str, fields: list[tuple[str, str]], dest: str | None
    ) -> None:
        self.send(mtype, fields, dest=dest)
        self._emit(ev.StatusChanged())

    def send(
        self, mtype: str, fields: list[tuple[str, str]], *, dest: str | None = None
    ) -> int | None:
        """Queue one message to every medium; returns its seq (None for NS_ types)."""
        seq, pairs = self._out.send(mtype, fields, dest=dest, wall=self._now.wall)
        ours = dest is None or dest == self.local
        if seq is not None and ours and mtype not in NOT_FOR_CLIENTS:
            # 3.0.6 hands its own messages to its API clients as it reads them back.
            self._emit(ev.ClusterMessage(self.local, HaMessage(tuple(pairs))))
        return seq

    def send_verbatim(self, fields: list[tuple[str, str | bytes]], now: Instant) -> list[Pair]:
        """Queue a message composed by an API client (``t`` first; a ``dest`` among its
        fields addresses it) with our trailer; returns the message as sent, but ``auth``."""
        self.enter(now)
        pairs = self._out.verbatim(fields, now.wall)
        self.settle()
        return pairs

    def _run(
        self,
        action: ev.GroupAction,
        groups: tuple[ResourceGroup, ...],
        reason: str,
        only_running: bool,
    ) -> int:
        self._op_ids += 1
        self._emit(ev.RunGroups(self._op_ids, action, groups, reason, only_running))
        self._emit(ev.StatusChanged())
        return self._op_ids

    def _emit_announce(self, keys: frozenset[str]) -> None:
        """Re-send gratuitous ARPs for the groups ``keys`` we keep: ownership was in doubt.
        (Never for a group being released: neighbours would follow the loser.)"""
        held = tuple(g for k, g in self.ownership.groups.items() if k in keys)
        if held:
            self._op_ids += 1
            self._emit(ev.RunGroups(self._op_ids, ev.GroupAction.ANNOUNCE, held, "re-announce"))

    def enter(self, now: Instant) -> None:
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
            self.peers.stalled(now.mono)
            self.pings.stalled(now.mono)
            self._status.next_at = now.mono
            self.ownership.stalled(now.mono)

    # -- the four-method contract (``receive_datagram``: see __init__) ------------------

    def datagrams_to_send(self, now: Instant) -> list[bytes]:
        """Datagrams queued since the last call; each goes out on every medium."""
        del now
        return self._out.take()

    def next_event(self) -> ev.Event | None:
        """The next event or effect for the shell, or None."""
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """The earliest monotonic deadline at which ``handle_timer`` must run.

        Runs after every input: the peers' deadlines (``PeerTable.next_deadline``), then
        our own timers.
        """
        initdead = self.initdead
        t = self.peers.next_deadline(self._status.next_at, self.started, initdead, self.comm_up)
        for r in (
            self._comm.reqnodes_due,
            self.ownership.next_deadline(),
            self.badpackets.due(),
            self._keys.grace_until,
            self.pings.deadline(initdead) if self.pings else None,
        ):
            if r is not None and r < t:
                t = r
        return t

    def handle_timer(self, now: Instant) -> None:
        """Do whatever is due at ``now``."""
        self.enter(now)
        t = now.mono
        if t >= self._status.next_at:
            self._send_status()
        self._check_timeouts(t)
        for name, first, last in self.peers.rexmit_due(t):
            self.send("NS_rexmit", [("firstseq", str(first)), ("lastseq", str(last))], dest=name)
        if self.comm_up and self.peers.probe_due(t):
            self._status.probe_quiet_peers(self.peers, t, self.keepalive, self.send)
        due = self._comm.reqnodes_due
        if due is not None and t >= due:
            self._comm.send_reqnodes(t, comm_up=self.comm_up)
        due = self.ownership.next_deadline()
        if due is not None and t >= due:
            self.ownership.timer(t)
        for line in self.badpackets.summary(t):
            self._log(logging.WARNING, line)
        over = self._keys.timer(t, self.config.authkeys)
        if over is not None:
            self._log(logging.INFO, over)
        self.settle()

    def reconfigure(self, config: ClusterConfig, now: Instant) -> None:
        """Apply a reloaded configuration's timings and authkeys; the rest stays as started.

        A peer whose advertised dead time was our old deadtime gets the new one; the next
        status goes out at once so peers see the new ``dt`` without waiting a keepalive.
        """
        self.enter(now)
        old_deadtime = self.deadtime
        self._set_timings(config)
        for p in self.peers:
            if p.dt == old_deadtime:
                p.dt = self.deadtime
        self._out.signer = Signer(config.authkeys, inner=self.config.ha.msgfmt == "classic")
        change = self._keys.reload(self.config.authkeys, config.authkeys, now.mono)
        if change is not None:
            self._log(logging.WARNING, change)
        self._status.forget_templates()
        self.config = config
        self._status.next_at = now.mono
        self.split.own_links_up()  # our status may start differently now (dt)
        self.settle()

    def request(self, cmd: ev.Command, now: Instant) -> str | None:
        """An operator command; None when accepted, else the reason it was refused."""
        self.enter(now)
        own, t = self.ownership, now.mono
        match cmd:
            case ev.Standby(hold):
                result = own.standby.request(hold, t) if self.comm_up else "heartbeat is starting"
            case ev.Takeover(hold):
                if self.comm_up:
                    own.monitor.takeover_clears(hold)
                result = (
                    own.standby.request_takeover(hold) if self.comm_up else "heartbeat is starting"
                )
            case ev.MonitorFailure(key, first, move, reason):
                result = own.monitor.failure(key, first, move, reason, t)
            case ev.Cleanup(key):
                result = own.monitor.cleanup(key, t)
            case ev.Shutdown():
                self._log(logging.INFO, "Heartbeat shutdown in progress.")
                at_once = not self.comm_up or not self.config.groups
                if at_once:
                    self._send_status()
                own.shutdown(t, at_once=at_once)
                result = None
        self.settle()
        return result

    def script_finished(self, op_id: int, failed: Collection[str], now: Instant) -> None:
        """A ``RunGroups`` effect completed; ``failed`` names the groups that failed."""
        self.enter(now)
        self.ownership.finished(op_id, failed, now.mono)
        self.settle()

    def fence_finished(self, peer: str, now: Instant) -> None:
        """The daemon reset ``peer`` (a ``FencePeer`` effect): takeover may go on."""
        self.enter(now)
        if self.ownership.fence.reset_done(peer):
            self.ownership.evaluate(now.mono)
        self.settle()

    def fence_wanted(self, peer: str) -> bool:
        """Is the reset of ``peer`` still wanted (it has not been heard from since)?"""
        return self.ownership.fence.wanted(peer)

    def settle(self) -> None:
        """What an input may have made due: a standby request deferred while in flux."""
        self.ownership.after_input(self._now.mono)

    # -- membership --------------------------------------------------------------------

    @property
    def status(self) -> ev.NodeStatus:
        """Our own status (``core.keepalive``)."""
        return self._status.status

    def _send_status(self) -> None:
        self._status.send_regular(self._now, self.keepalive, self.deadtime)

    def send_status_now(self) -> None:
        """Send our status at once, an extra one: the regular ones keep their times."""
        self._status.send_extra(self.deadtime, self._now.wall)

    def status_heard(self, t: float) -> None:
        """A peer's newest status arrived at ``t``: ours may go out now to join it."""
        if self.comm_up:
            self._status.follow(t, self._now, self.keepalive, self.deadtime, self.warntime)

    def _check_timeouts(self, t: float) -> None:
        for p in self.peers.peers.values():
            d = p.dead_deadline(self.started, self.initdead, self.comm_up)
            if d is not None and t >= d:
                self.declare_dead(p.name, graceful=False)
            for link in p.expire_links(t):
                self._log(logging.INFO, f"Link {p.name}:{link} dead.")
                self._emit(ev.LinkStateChanged(p.name, link, ev.LinkStatus.DEAD))
        if self.pings:
            self._events.extend(self.pings.check(t, self.initdead))
        if not self.comm_up:
            self._comm.check(t)

    def ping_reply(self, name: str, now: Instant) -> None:
        """An ICMP echo reply for ping node ``name`` arrived (docs/pingnodes.md)."""
        self.enter(now)
        self._events.extend(self.pings.heard(name, now.mono))
        if not self.comm_up:
            self._comm.check(now.mono)
        self.settle()

    def declare_dead(self, name: str, *, graceful: bool) -> None:
        """Peer ``name`` is dead: it said shutdone (``graceful``) or its deadline passed."""
        p = self.peers.get(name)
        if p is None or p.status is ev.NodeStatus.DEAD:
            return
        old = p.status
        p.status = ev.NodeStatus.DEAD
        p.probe_at = None
        p.tracker.forget()
        if not graceful:
            self._log(logging.WARNING, f"node {name}: is dead")
        self._emit(ev.PeerStateChanged(name, old, ev.NodeStatus.DEAD))
        self._emit(ev.StatusChanged())
        if self.comm_up:
            self.ownership.peer_dead(name, self._now.mono, graceful=graceful)

    def go_active(self) -> None:
        """Our communication is up (``core.commup``): we are active."""
        self.comm_up = True
        self._comm.reqnodes_due = None
        self._log(logging.INFO, "Comm_now_up(): updating status to active")
        self._log(logging.INFO, "Local status now set to: 'active'")
        self._status.status = ev.NodeStatus.ACTIVE
        self._send_status()
        live = self.peers.live()
        self._emit(ev.StatusChanged())
        for p in () if live else self.peers:  # alone: reset the peers never heard from
            self.ownership.fence.peer_lost(p.name)
        self.ownership.comm_up(live[0].name if live else None, self._now.mono)

    def _own_status_head(self) -> bytes:
        return self._status.template(ev.NodeStatus.ACTIVE, self.deadtime).head

    # -- the read-only view (core.views) ----------------------------------------------

    def snapshot(self) -> Snapshot:
        """What ``cl_status`` shows, in 3.0.6's node order (peers first, then us)."""
        return views.snapshot(
            self.config,
            self.local,
            self.status,
            self.own_links,
            self.peers,
            self.pings,
            self.ownership,
        )

    def nodes_info(self) -> tuple[NodeInfo, ...]:
        """Every node's name, type and status: peers, ping nodes, then us."""
        return views.nodes_info(self.local, self.status, self.peers, self.pings)
