"""Our own status: which it is (``init``, ``up``, ``active``), when it goes out (every
keepalive, at once when it changes, joined to a peer's when ours is due soon), how it is
built, and the probes of peers whose statuses are overdue (docs/protocol.md#timers).

Part of the engine; never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pyhb.clock import Instant
from pyhb.core.events import NodeStatus
from pyhb.core.outbox import Outbox
from pyhb.core.peers import PROBE_EVERY, PeerTable
from pyhb.wire.steady import Template

STATUS_ALIGN = 0.5  # keepalives: how early our status may go out to join a peer's
STATUS_SLOTS = ("seq", "ts", "ld")  # the fields of our status that change each time
FOLLOW_SLACK, FOLLOW_SLACK_MAX = 0.05, 0.02  # keepalives, seconds: see Keepalive.follow
MAX_PROBE = 8  # sequence numbers asked for at most by one quiet-peer probe

Send = Callable[..., int | None]
Log = Callable[[int, str], None]


class Keepalive:
    """Our status, its datagrams and their timing (timings and ``now`` come with each call)."""

    def __init__(self, outbox: Outbox, log: Log, *, first: float) -> None:
        self._out = outbox
        self._log = log
        self._templates: dict[tuple[NodeStatus, str], Template] = {}
        self.status = NodeStatus.INIT  # ours; ``active`` once communication is up
        self.next_at = first  # when our next regular status is due (monotonic)

    def send_regular(self, now: Instant, keepalive: float, deadtime: float) -> None:
        """Our status, due now; the first time, ``init`` and then ``up``."""
        if self.status is NodeStatus.INIT:
            self.send(NodeStatus.INIT, deadtime, now.wall)
            self.status = NodeStatus.UP
            self._log(logging.INFO, "Local status now set to: 'up'")
        self.send(self.status, deadtime, now.wall)
        self.next_at = now.mono + keepalive

    def send_extra(self, deadtime: float, wall: float) -> None:
        """Our status at once, an extra one: the regular ones keep their times."""
        if self.status is not NodeStatus.INIT:
            self.send(self.status, deadtime, wall)

    def follow(
        self, t: float, now: Instant, keepalive: float, deadtime: float, warntime: float
    ) -> None:
        """A peer's newest status arrived at ``t`` (our communication is up): ours goes
        out now instead if it is due within ``STATUS_ALIGN`` keepalives.

        Nodes that start at random moments thus settle into sending their statuses
        together, one following another's; a node then wakes up about once per
        keepalive for every status of the cluster instead of once per node plus once
        for its own. Having followed, our own timer is set ``FOLLOW_SLACK`` later than
        a keepalive (only while that stays below ``warntime``), so that the next status
        we follow arrives before it fires rather than just after it. Our statuses are
        thus never more than a keepalive plus that slack apart, and never less than
        ``1 - STATUS_ALIGN`` keepalives.
        """
        if self.status not in (NodeStatus.UP, NodeStatus.ACTIVE):
            return
        if self.next_at - t > STATUS_ALIGN * keepalive:
            return
        self.send_regular(now, keepalive, deadtime)
        slack = min(FOLLOW_SLACK * keepalive, FOLLOW_SLACK_MAX)
        if keepalive + slack < warntime:
            self.next_at += slack

    def template(self, st: NodeStatus, deadtime: float) -> Template:
        """Our status ``st`` as ``send("status", ...)`` would build it, but for ``seq``,
        ``ts`` and ``ld``, which change from one status to the next."""
        dt = f"{int(deadtime * 1000):x}"
        template = self._templates.get((st, dt))
        if template is None:
            fields = [("st", str(st)), ("dt", dt), ("protocol", "1")]
            pairs = self._out.compose.build("status", fields, seq=0, wall=0.0)
            template = Template(self._out.signer, pairs, STATUS_SLOTS)
            if len(self._templates) >= len(NodeStatus):
                self._templates.clear()  # a reload changed dt: the old ones go
            self._templates[(st, dt)] = template
        return template

    def forget_templates(self) -> None:
        """The keys or the dead time changed (``Outbox.signer``): build every status anew."""
        self._templates.clear()

    def send(self, st: NodeStatus, deadtime: float, wall: float) -> None:
        """Queue our status ``st`` (see ``template``): the one place it goes out."""
        template = self.template(st, deadtime)
        seq = self._out.history.allocate()
        data = template.datagram(f"{seq:x}", f"{int(wall):x}", self._out.compose.loadavg())
        self._out.record(seq, data)

    @staticmethod
    def probe_quiet_peers(peers: PeerTable, t: float, keepalive: float, send: Send) -> None:
        """A peer's status is overdue: ask for the packets it should have sent since.

        On a lossy link the statuses that would keep a live peer alive may all be lost
        within one deadtime. A retransmission request for the sequence numbers after the
        last one received (``NS_rexmit``, which 3.0.6 answers too) brings back whatever
        the peer did send; a retransmitted status refreshes its liveness like any status
        we had not seen. A dead peer simply does not answer. Replays cannot help an
        attacker: only sequence numbers not yet received are accepted.
        """
        for p in peers:
            if p.probe_at is None or not p.alive or t < p.probe_at or p.last_status is None:
                continue
            silent = t - p.last_status
            count = max(1, min(int(silent / keepalive), MAX_PROBE))
            first = p.tracker.last + 1
            send(
                "NS_rexmit", [("firstseq", str(first)), ("lastseq", str(first + count - 1))],
                dest=p.name,
            )  # fmt: skip
            p.probe_at = t + PROBE_EVERY * keepalive
