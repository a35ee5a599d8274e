"""The Prometheus collector: the daemon's ``Counters`` and the engine's state, read at
each scrape (series in docs/metrics.md).

Gauges (node, link and group states, monitor state) are read from the engine when
scraped, never copied. Exposition uses ``prometheus_client`` (Debian's
python3-prometheus-client); this module is imported only when metrics are served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import KW_ONLY, dataclass

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from pyhb.control.status import MonitorAccessor, group_holder
from pyhb.core.engine import Engine
from pyhb.core.events import LinkStatus, NodeStatus
from pyhb.daemon.counters import Counters

GROUP_STATES = ("running", "stopped", "starting", "stopping", "failed")

Sample = tuple[Sequence[str], float]


def _gauge(name: str, text: str, labels: Sequence[str]) -> GaugeMetricFamily:
    """A gauge family with these label names (filled by the caller)."""
    return GaugeMetricFamily(name, text, labels=labels)


def _counter(
    name: str, text: str, labels: Sequence[str], samples: Iterable[Sample] = ()
) -> CounterMetricFamily:
    """A counter family with these label names, holding ``samples`` (label values, count)."""
    family = CounterMetricFamily(name, text, labels=labels)
    for values, count in samples:
        family.add_metric(values, count)
    return family


@dataclass(eq=False)  # the registry keys collectors by identity
class ClusterCollector(Collector):
    """Everything on the metrics page, read at each scrape: the engine (None before it
    starts), the daemon's counters, and the resource monitor's view when monitoring."""

    engine: Callable[[], Engine | None]
    counters: Counters
    _: KW_ONLY
    version: str
    uptime: Callable[[], float]
    monitor: Callable[[], MonitorAccessor | None] = lambda: None

    def collect(self) -> Iterator[Metric]:
        engine = self.engine()
        if engine is None:
            return
        yield from self._node_metrics(engine)
        yield from self._group_metrics(engine)
        yield from self._counter_metrics(engine)

    def _node_metrics(self, engine: Engine) -> Iterator[Metric]:
        snap = engine.snapshot()
        info = _gauge("pyhb_info", "pyhb's version and this node's name", ("version", "node"))
        info.add_metric([self.version, snap.local_node], 1)
        yield info
        yield GaugeMetricFamily("pyhb_uptime_seconds", "Seconds since the daemon started",
                                value=self.uptime())  # fmt: skip
        ha = engine.config.ha
        for name, ms, text in (
            ("keepalive", ha.keepalive, "Interval between heartbeats"),
            ("deadtime", ha.deadtime, "Silence after which a node is declared dead"),
            ("warntime", ha.warntime, "Silence after which a late heartbeat is logged"),
        ):
            yield GaugeMetricFamily(f"pyhb_{name}_seconds", text, value=ms / 1000)
        nodes = _gauge(
            "pyhb_node_status",
            "Node status as this node sees it: 1 for the current status, 0 for the others",
            ("node", "status"),
        )  # fmt: skip
        links = _gauge(
            "pyhb_link_status",
            "Link status per node and medium: 1 for the current status, 0 for the other",
            ("node", "link", "status"),
        )  # fmt: skip
        for n in snap.nodes:
            for st in NodeStatus:
                nodes.add_metric([n.name, st.value], 1 if n.status is st else 0)
            for li in n.links:
                for ls in LinkStatus:
                    links.add_metric([n.name, li.name, ls.value], 1 if li.status is ls else 0)
        yield nodes
        yield links

    def _group_metrics(self, engine: Engine) -> Iterator[Metric]:
        snap = engine.snapshot()
        holder = _gauge(
            "pyhb_group_holder",
            "1 for the node holding the resource group (as this node knows), 0 for the others",
            ("group", "node"),
        )  # fmt: skip
        state = _gauge(
            "pyhb_group_state",
            "The resource group's state on this node: 1 for the current state",
            ("group", "state"),
        )  # fmt: skip
        rsc = ("group", "resource")
        monitored = _gauge("pyhb_resource_monitored", "1 if the resource is monitored", rsc)
        failures = _gauge(
            "pyhb_resource_monitor_failures",
            "Failed monitor checks of the resource within the monitor's window", rsc,
        )  # fmt: skip
        restarts = _counter(
            "pyhb_resource_monitor_restarts", "Restarts of the resource by its monitor", rsc
        )
        accessor = self.monitor()
        names = [n.name for n in snap.nodes]
        for g in snap.groups:
            who = group_holder(engine, g.key)
            for name in names:
                holder.add_metric([g.key, name], 1 if name == who else 0)
            for st in GROUP_STATES:
                state.add_metric([g.key, st], 1 if g.state == st else 0)
            for ref in engine.ownership.groups[g.key].resources:
                view = accessor(g.key, ref) if accessor is not None else None
                monitored.add_metric([g.key, ref.text], 0 if view is None else 1)
                if view is not None:
                    failures.add_metric([g.key, ref.text], view.failures)
                    restarts.add_metric([g.key, ref.text], view.restarts)
        yield from (holder, state, monitored, failures, restarts)

    def _counter_metrics(self, engine: Engine) -> Iterator[Metric]:
        c = self.counters
        for name, counts, text in (
            ("takeovers", c.takeovers, "Resource group acquisitions by this node"),
            ("releases", c.releases, "Resource group releases by this node"),
            ("failovers", c.failovers, "Acquisitions because the other node died or shut down"),
        ):
            groups = [((key,), counts[key]) for key in engine.ownership.groups]
            yield _counter(f"pyhb_group_{name}", text, ("group",), groups)
        yield _counter(
            "pyhb_group_operation_failures",
            "Failed acquisitions (takegroup) and releases (givegroup) of a group",
            ("group", "action"), sorted(c.failures.items()),
        )  # fmt: skip
        yield CounterMetricFamily(
            "pyhb_bad_packets_dropped",
            "Packets rejected: forged, replayed, malformed or from unknown nodes",
            value=engine.badpackets.total,
        )
        late = [
            ((node, "true" if over else "false"), n) for (node, over), n in sorted(c.late.items())
        ]
        yield _counter(
            "pyhb_late_heartbeats",
            "Heartbeats that came after warntime (over_deadtime: after deadtime too)",
            ("node", "over_deadtime"), late,
        )  # fmt: skip
        scripts = HistogramMetricFamily(
            "pyhb_script_duration_seconds",
            "How long resource script runs took",
            labels=["resource", "action"],
        )
        for (resource, action), hist in sorted(c.scripts.items()):
            scripts.add_metric([resource, action], hist.cumulative(), hist.total)
        yield scripts
