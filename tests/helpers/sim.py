"""An in-memory cluster: N engines on a lossy network with a shared fake clock.

Datagrams, timers and resource-script completions are all events on one queue in
time order, so whole failover scenarios run in milliseconds without sleeping.
Each engine's ``RunGroups`` effects are carried out by a fake runner that records
which groups run where (``running[node]``), with a configurable script duration.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pyhb.clock import Instant
from pyhb.config.model import (
    AuthKey,
    AuthKeys,
    AuthMethod,
    AutoFailback,
    Bcast,
    ClusterConfig,
    HaConfig,
    ResourceGroup,
    ResourceRef,
)
from pyhb.core.engine import Engine
from pyhb.core.events import Command, GroupAction, LogLine, RunGroups, ShutdownComplete
from pyhb.wire.message import STEADY_PREFIX, peek_ack_dest

WALL0 = 1_795_319_321.0


def make_config(
    local: str,
    nodes: tuple[str, ...] = ("a", "b"),
    *,
    keepalive: int = 1000,
    deadtime: int = 5000,
    warntime: int = 3000,
    initdead: int = 10000,
    auto_failback: AutoFailback = AutoFailback.ON,
    groups: tuple[tuple[str, str], ...] = (("a", "10.77.0.100/24/hb0"),),
) -> ClusterConfig:
    """A ClusterConfig without files: one bcast medium ``hb0``, sha1 key ``secret``."""
    ha = HaConfig(
        node=nodes,
        keepalive=keepalive,
        deadtime=deadtime,
        warntime=warntime,
        initdead=initdead,
        media=(Bcast("hb0", 694),),
        auto_failback=auto_failback,
    )
    keys = AuthKeys(active=1, keys=(AuthKey(1, AuthMethod.SHA1, b"secret"),))
    rgroups = tuple(
        ResourceGroup(node, (ResourceRef("IPaddr", (key,), key),), key) for node, key in groups
    )
    return ClusterConfig(Path("/nonexistent"), local, ha, keys, rgroups)


@dataclass
class Node:
    name: str
    engine: Engine | None
    config: ClusterConfig
    generation: int
    running: set[str] = field(default_factory=set)
    logs: list[str] = field(default_factory=list)
    frozen: bool = False
    exited: bool = False
    timer_at: float | None = None
    lazy: bool = False  # steady statuses and acks wait for the timer, as net.split makes them
    pending: list[tuple[bytes, float]] = field(default_factory=list)  # (datagram, arrival)
    wakeups: int = 0  # timer firings and datagrams that woke the node


@dataclass(order=True)
class _Item:
    at: float
    order: int
    action: Callable[[], None] = field(compare=False)


class ClusterSim:
    """Runs engines against each other on simulated time.

    ``lazy`` (default ``LAZY``) makes every node read steady statuses at its own timer,
    dated by their arrival, as a daemon whose media ``net.split`` could split does.
    """

    LAZY = False

    def __init__(
        self, configs: dict[str, ClusterConfig], *, seed: int = 1, lazy: bool | None = None
    ) -> None:
        self.now = 100.0
        self.rng = random.Random(seed)
        self._queue: list[_Item] = []
        self._order = itertools.count()
        self.latency = 0.0005
        self.script_time = 0.010
        self.script_times: dict[str, float] = {}  # per-node override of script_time
        self.loss: dict[tuple[str, str], float] = {}  # (src, dst) -> drop probability
        self.cut: set[frozenset[str]] = set()
        self.failing: set[tuple[str, str]] = set()  # (node, key) whose start fails
        self.nodes: dict[str, Node] = {}
        self.history: list[tuple[float, str, str]] = []  # (time, node, line)
        self.wire: list[tuple[float, str, bytes]] = []  # (time, sender, datagram)
        self.owners_seen: list[tuple[float, dict[str, set[str]]]] = []
        self.announces: list[tuple[float, str, tuple[str, ...]]] = []  # (time, node, keys)
        self.restarts: list[tuple[str, str, tuple[str, ...]]] = []  # (node, key, resources)
        lazy = self.LAZY if lazy is None else lazy
        for name, cfg in configs.items():
            self.nodes[name] = Node(name, None, cfg, generation=1000, lazy=lazy)

    # -- time --------------------------------------------------------------------------

    def instant(self) -> Instant:
        return Instant(self.now, WALL0 + self.now)

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._queue, _Item(when, next(self._order), action))

    def run_for(self, seconds: float) -> None:
        """Advance simulated time, processing everything due."""
        end = self.now + seconds
        while self._queue and self._queue[0].at <= end:
            item = heapq.heappop(self._queue)
            self.now = max(self.now, item.at)
            item.action()
        self.now = end

    def run_until(self, predicate: Callable[[], bool], limit: float = 120.0) -> float:
        """Run until ``predicate()`` holds; returns the simulated time it took."""
        start = self.now
        while not predicate():
            if not self._queue or self._queue[0].at > start + limit:
                raise AssertionError(f"condition not reached within {limit} s")
            item = heapq.heappop(self._queue)
            self.now = max(self.now, item.at)
            item.action()
        return self.now - start

    # -- nodes -------------------------------------------------------------------------

    def start(self, name: str) -> None:
        node = self.nodes[name]
        node.generation += 1
        node.exited = False
        node.frozen = False
        node.engine = Engine(
            node.config,
            uuid=bytes([ord(name[0])]) * 16,
            generation=node.generation,
            now=self.instant(),
            rand=self.rng.random,
            lazy_statuses=node.lazy,
        )
        node.pending.clear()
        self._service(node)

    def kill(self, name: str) -> None:
        """kill -9: the engine vanishes; what it ran keeps running."""
        node = self.nodes[name]
        node.engine = None
        node.timer_at = None

    def freeze(self, name: str) -> None:
        self.nodes[name].frozen = True

    def thaw(self, name: str) -> None:
        node = self.nodes[name]
        node.frozen = False
        if node.engine is not None:
            node.engine.handle_timer(self.instant())
            self._service(node)

    def request(self, name: str, cmd: Command) -> str | None:
        node = self.nodes[name]
        assert node.engine is not None
        result = node.engine.request(cmd, self.instant())
        self._service(node)
        return result

    def owners(self, key: str) -> list[str]:
        return sorted(n.name for n in self.nodes.values() if key in n.running)

    def max_owners(self, key: str, since: float = 0.0) -> int:
        """The most nodes that ran ``key`` at once, from ``since`` on."""
        return max(
            (sum(key in r for r in seen.values()) for t, seen in self.owners_seen if t >= since),
            default=0,
        )

    def log_text(self, name: str) -> str:
        return "\n".join(self.nodes[name].logs)

    # -- plumbing ----------------------------------------------------------------------

    def _service(self, node: Node) -> None:
        """Drain an engine after an input: datagrams, events, timer."""
        eng = node.engine
        if eng is None or node.frozen:
            return
        for data in eng.datagrams_to_send(self.instant()):
            self._transmit(node.name, data)
        while (ev := eng.next_event()) is not None:
            self._handle_event(node, ev)
        deadline = eng.get_timer()
        if deadline is not None and deadline != node.timer_at:
            node.timer_at = deadline
            self.at(max(deadline, self.now), lambda n=node, d=deadline: self._fire(n, d))

    def _fire(self, node: Node, deadline: float) -> None:
        if node.engine is None or node.frozen or node.timer_at != deadline:
            return
        node.timer_at = None
        node.wakeups += 1
        self._read_pending(node)
        node.engine.handle_timer(self.instant())
        self._service(node)

    def _read_pending(self, node: Node) -> None:
        """Feed the steady statuses that waited, dated by their arrival."""
        pending, node.pending = node.pending, []
        for data, arrived in pending:
            if node.engine is not None:
                node.engine.receive_datagram(
                    data, "hb0", ("10.77.0.1", 694), self.instant(), arrived
                )

    def _transmit(self, src: str, data: bytes) -> None:
        self.wire.append((self.now, src, data))
        for dst in self.nodes:
            if dst != src and frozenset((src, dst)) in self.cut:
                continue
            if self.rng.random() < self.loss.get((src, dst), 0.0):
                continue
            self.at(self.now + self.latency, lambda d=dst, b=data: self._deliver(d, b))

    def _deliver(self, dst: str, data: bytes) -> None:
        node = self.nodes[dst]
        if node.engine is None or node.frozen:
            return  # a frozen process's socket buffer would keep it; we drop it
        dest = peek_ack_dest(data)
        if dest is not None and dest != node.name.encode():
            return  # another node's acknowledgement: the kernel filter drops it
        lazy = node.lazy and not node.engine.statuses_wanted()
        if lazy and (data.startswith(STEADY_PREFIX) or dest is not None):
            node.pending.append((data, self.now))  # the twin's share: read at the timer
            return
        node.wakeups += 1
        self._read_pending(node)
        node.engine.receive_datagram(data, "hb0", ("10.77.0.1", 694), self.instant())
        self._service(node)

    def _handle_event(self, node: Node, ev: object) -> None:
        if isinstance(ev, LogLine):
            node.logs.append(ev.text)
            self.history.append((self.now, node.name, ev.text))
            logging.getLogger(f"sim.{node.name}").log(ev.level, "%s", ev.text)
        elif isinstance(ev, RunGroups):
            self._run_groups(node, ev)
        elif isinstance(ev, ShutdownComplete):
            node.exited = True
            self.at(self.now, lambda: self._exit(node))

    def _exit(self, node: Node) -> None:
        node.engine = None
        node.timer_at = None

    def _run_groups(self, node: Node, ev: RunGroups) -> None:
        if ev.action is GroupAction.ANNOUNCE:
            self.announces.append((self.now, node.name, tuple(g.key for g in ev.groups)))
            return
        engine = node.engine

        def done() -> None:
            failed = set()
            for g in ev.groups:
                if ev.action is GroupAction.TAKE:
                    if (node.name, g.key) in self.failing:
                        failed.add(g.key)
                    else:
                        node.running.add(g.key)
                elif ev.action is GroupAction.RESTART:
                    self.restarts.append((node.name, g.key, tuple(r.text for r in g.resources)))
                    if (node.name, g.key) in self.failing:
                        failed.add(g.key)
                else:
                    node.running.discard(g.key)
            self.owners_seen.append(
                (self.now, {n.name: set(n.running) for n in self.nodes.values()})
            )
            if node.engine is engine and engine is not None:
                engine.script_finished(ev.op_id, failed, self.instant())
                self._service(node)

        script_time = self.script_times.get(node.name, self.script_time)
        self.at(self.now + script_time * len(ev.groups), done)
