"""The metrics page's content: counters fed by the daemon and the engine's state, written
by prometheus_client and read back with its own parser."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pyhb.config.model import AutoFailback, ResourceRef
from pyhb.core.engine import Engine
from pyhb.core.events import GroupAction, HeartbeatLate, StatusChanged
from pyhb.core.snapshot import MonitorView
from pyhb.daemon.counters import BUCKETS, Counters, Histogram
from pyhb.daemon.metrics import ClusterCollector
from pyhb.resources.plan import Action
from pyhb.resources.runner import GroupOutcome, GroupStatus, Step
from tests.helpers.sim import ClusterSim, make_config

KEY = "10.77.0.100/24/hb0"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _outcome(action: GroupAction, ok: bool = True, *secs: float) -> GroupOutcome:
    steps = tuple(Step("tsvc::one", Action.START, 0, 10.0, 10.0 + s) for s in (secs or (0.2,)))
    status = GroupStatus.OK if ok else GroupStatus.START_FAILED
    return GroupOutcome(action, KEY, status, 10.0, 11.0, steps)


def _scrape(collector: ClusterCollector) -> tuple[str, Samples]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    text = generate_latest(registry).decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return text, samples


def _get(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def _cluster() -> ClusterSim:
    sim = ClusterSim({n: make_config(n, auto_failback=AutoFailback.ON) for n in ("a", "b")})
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(KEY) == ["a"], 60)
    sim.run_for(2)
    return sim


def _collector(engine: Engine | None, counters: Counters, **kw: Any) -> ClusterCollector:
    return ClusterCollector(lambda: engine, counters, version="9.9", uptime=lambda: 12.5, **kw)


def test_node_link_and_group_series_follow_a_failover() -> None:
    sim = _cluster()
    engine = sim.nodes["b"].engine
    _, before = _scrape(_collector(engine, Counters()))
    assert _get(before, "pyhb_info", version="9.9", node="b") == 1
    assert _get(before, "pyhb_uptime_seconds") == 12.5
    assert _get(before, "pyhb_deadtime_seconds") == 5.0
    assert _get(before, "pyhb_keepalive_seconds") == 1.0
    for node in ("a", "b"):
        assert _get(before, "pyhb_node_status", node=node, status="active") == 1
        for other in ("init", "up", "dead"):
            assert _get(before, "pyhb_node_status", node=node, status=other) == 0
    assert _get(before, "pyhb_link_status", node="a", link="hb0", status="up") == 1
    assert _get(before, "pyhb_link_status", node="a", link="hb0", status="dead") == 0
    assert _get(before, "pyhb_group_holder", group=KEY, node="a") == 1
    assert _get(before, "pyhb_group_holder", group=KEY, node="b") == 0
    assert _get(before, "pyhb_group_state", group=KEY, state="stopped") == 1
    assert _get(before, "pyhb_resource_monitored", group=KEY, resource=KEY) == 0

    sim.kill("a")
    sim.run_until(lambda: "b" in sim.owners(KEY), 30)
    sim.run_for(1)
    _, after = _scrape(_collector(engine, Counters()))
    assert _get(after, "pyhb_node_status", node="a", status="dead") == 1
    assert _get(after, "pyhb_node_status", node="a", status="active") == 0
    assert _get(after, "pyhb_link_status", node="a", link="hb0", status="dead") == 1
    assert _get(after, "pyhb_group_holder", group=KEY, node="b") == 1
    assert _get(after, "pyhb_group_holder", group=KEY, node="a") == 0
    assert _get(after, "pyhb_group_state", group=KEY, state="running") == 1


def test_counters_and_script_durations() -> None:
    sim = _cluster()
    counters = Counters()
    counters.group_done("initial", _outcome(GroupAction.TAKE, True, 0.005, 0.3))
    counters.group_done("mach_down", _outcome(GroupAction.TAKE, True, 400.0))
    counters.group_done("standby", _outcome(GroupAction.GIVE))
    counters.group_done("ip-request", _outcome(GroupAction.TAKE, False))
    counters.observe(HeartbeatLate("a", 3500, False))
    counters.observe(HeartbeatLate("a", 6000, True))
    counters.observe(HeartbeatLate("a", 3600, False))
    counters.observe(StatusChanged())
    _, s = _scrape(_collector(sim.nodes["b"].engine, counters))
    assert _get(s, "pyhb_group_takeovers_total", group=KEY) == 2
    assert _get(s, "pyhb_group_failovers_total", group=KEY) == 1
    assert _get(s, "pyhb_group_releases_total", group=KEY) == 1
    assert _get(s, "pyhb_group_operation_failures_total", group=KEY, action="takegroup") == 1
    assert _get(s, "pyhb_late_heartbeats_total", node="a", over_deadtime="false") == 2
    assert _get(s, "pyhb_late_heartbeats_total", node="a", over_deadtime="true") == 1
    labels = {"resource": "tsvc::one", "action": "start"}
    assert _get(s, "pyhb_script_duration_seconds_count", **labels) == 5
    assert _get(s, "pyhb_script_duration_seconds_sum", **labels) == pytest.approx(400.705)
    assert _get(s, "pyhb_script_duration_seconds_bucket", le="0.01", **labels) == 1
    assert _get(s, "pyhb_script_duration_seconds_bucket", le="0.25", **labels) == 3
    assert _get(s, "pyhb_script_duration_seconds_bucket", le="0.5", **labels) == 4
    assert _get(s, "pyhb_script_duration_seconds_bucket", le="300.0", **labels) == 4
    assert _get(s, "pyhb_script_duration_seconds_bucket", le="+Inf", **labels) == 5


def test_bad_packets_are_counted_whether_logged_or_not() -> None:
    sim = _cluster()
    engine = sim.nodes["b"].engine
    assert engine is not None
    for i in range(20):  # far over the warnings' budget: most are only counted
        engine.receive_datagram(b"junk %d" % i, "hb0", (f"10.77.0.{i}", 694), sim.instant())
    _, s = _scrape(_collector(engine, Counters()))
    assert _get(s, "pyhb_bad_packets_dropped_total") == 20


def test_monitored_resources_report_failures_and_restarts() -> None:
    sim = _cluster()

    def accessor(key: str, ref: ResourceRef) -> MonitorView | None:
        return MonitorView(1.0, True, 3, 60.0, 2, True)

    _, s = _scrape(_collector(sim.nodes["a"].engine, Counters(), monitor=lambda: accessor))
    assert _get(s, "pyhb_resource_monitored", group=KEY, resource=KEY) == 1
    assert _get(s, "pyhb_resource_monitor_failures", group=KEY, resource=KEY) == 3
    assert _get(s, "pyhb_resource_monitor_restarts_total", group=KEY, resource=KEY) == 2


def test_no_engine_yet_means_an_empty_page() -> None:
    text, samples = _scrape(_collector(None, Counters()))
    assert samples == {}


def test_histogram_buckets_are_cumulative_with_inclusive_bounds() -> None:
    hist = Histogram()
    for value in (BUCKETS[0], BUCKETS[0] + 1e-9, 1e9):
        hist.observe(value)
    cumulative = dict(hist.cumulative())
    assert cumulative[str(BUCKETS[0])] == 1
    assert cumulative[str(BUCKETS[1])] == 2
    assert cumulative[str(BUCKETS[-1])] == 2
    assert cumulative["+Inf"] == 3
