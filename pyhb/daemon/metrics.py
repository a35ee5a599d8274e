"""The Prometheus collector: the daemon's ``Counters`` and the engine's state, read at
each scrape (series in docs/metrics.md).

Gauges (node, link and group states, monitor state) are read from the engine when
scraped, never copied. Exposition uses ``prometheus_client`` (Debian's
python3-prometheus-client); this module is imported only when metrics are served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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


class ClusterCollector(Collector):
    """Everything on the metrics page, read at each scrape."""

    def __init__(
        self,
        engine: Callable[[], Engine | None],
        counters: Counters,
        *,
        version: str,
        uptime: Callable[[], float],
        monitor: Callable[[], MonitorAccessor | None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._counters = counters
        self._version = version
        self._uptime = uptime
        self._monitor = monitor

    def collect(self) -> Iterator[Metric]:
        engine = self._engine()
        if engine is None:
            return
        yield from self._node_metrics(engine)
        yield from self._group_metrics(engine)
        yield from self._counter_metrics(engine)

    def _node_metrics(self, engine: Engine) -> Iterator[Metric]:
        snap = engine.snapshot()
        info = GaugeMetricFamily(
            "pyhb_info", "pyhb's version and this node's name", labels=["version", "node"]
        )
        info.add_metric([self._version, snap.local_node], 1)
        yield info
        yield GaugeMetricFamily("pyhb_uptime_seconds", "Seconds since the daemon started",
                                value=self._uptime())  # fmt: skip
        ha = engine.config.ha
        for name, ms, text in (
            ("keepalive", ha.keepalive, "Interval between heartbeats"),
            ("deadtime", ha.deadtime, "Silence after which a node is declared dead"),
            ("warntime", ha.warntime, "Silence after which a late heartbeat is logged"),
        ):
            yield GaugeMetricFamily(f"pyhb_{name}_seconds", text, value=ms / 1000)
        nodes = GaugeMetricFamily(
            "pyhb_node_status",
            "Node status as this node sees it: 1 for the current status, 0 for the others",
            labels=["node", "status"],
        )
        links = GaugeMetricFamily(
            "pyhb_link_status",
            "Link status per node and medium: 1 for the current status, 0 for the other",
            labels=["node", "link", "status"],
        )
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
        holder = GaugeMetricFamily(
            "pyhb_group_holder",
            "1 for the node holding the resource group (as this node knows), 0 for the others",
            labels=["group", "node"],
        )
        state = GaugeMetricFamily(
            "pyhb_group_state",
            "The resource group's state on this node: 1 for the current state",
            labels=["group", "state"],
        )
        monitored = GaugeMetricFamily(
            "pyhb_resource_monitored",
            "1 if the resource is monitored",
            labels=["group", "resource"],
        )
        failures = GaugeMetricFamily(
            "pyhb_resource_monitor_failures",
            "Failed monitor checks of the resource within the monitor's window",
            labels=["group", "resource"],
        )
        restarts = CounterMetricFamily(
            "pyhb_resource_monitor_restarts",
            "Restarts of the resource by its monitor",
            labels=["group", "resource"],
        )
        accessor = self._monitor()
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
        c = self._counters
        for name, counts, text in (
            ("takeovers", c.takeovers, "Resource group acquisitions by this node"),
            ("releases", c.releases, "Resource group releases by this node"),
            ("failovers", c.failovers, "Acquisitions because the other node died or shut down"),
        ):
            fam = CounterMetricFamily(f"pyhb_group_{name}", text, labels=["group"])
            for key in engine.ownership.groups:
                fam.add_metric([key], counts[key])
            yield fam
        failed = CounterMetricFamily(
            "pyhb_group_operation_failures",
            "Failed acquisitions (takegroup) and releases (givegroup) of a group",
            labels=["group", "action"],
        )
        for (key, action), n in sorted(c.failures.items()):
            failed.add_metric([key, action], n)
        yield failed
        yield CounterMetricFamily(
            "pyhb_bad_packets_dropped",
            "Packets rejected: forged, replayed, malformed or from unknown nodes",
            value=engine.badpackets.total,
        )
        late = CounterMetricFamily(
            "pyhb_late_heartbeats",
            "Heartbeats that came after warntime (over_deadtime: after deadtime too)",
            labels=["node", "over_deadtime"],
        )
        for (node, over), n in sorted(c.late.items()):
            late.add_metric([node, "true" if over else "false"], n)
        yield late
        scripts = HistogramMetricFamily(
            "pyhb_script_duration_seconds",
            "How long resource script runs took",
            labels=["resource", "action"],
        )
        for (resource, action), hist in sorted(c.scripts.items()):
            scripts.add_metric([resource, action], hist.cumulative(), hist.total)
        yield scripts
