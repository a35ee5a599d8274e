"""A running pair of pyhb nodes in network namespaces: ``pyhb status --json`` against its
schema and the metrics page parsed with prometheus_client's parser, before and after a
failover; systemd's watchdog pinged by the running daemon."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pyhb.lab.cluster import VIP, Cluster, wait_for

pytestmark = pytest.mark.netns

ClusterFactory = Callable[..., Cluster]
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "status.schema.json").read_text()
)
PORT = 9664
KEY = f"{VIP}/24/hb0"
FETCH = (
    "import sys, urllib.request as u;"
    "sys.stdout.write(u.urlopen(sys.argv[1], timeout=5).read().decode())"
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _status(cluster: Cluster, name: str) -> dict[str, Any]:
    res = cluster.lab[name].run([cluster.python, "-m", "pyhb.cli.tool", "status", "--json"])
    assert res.returncode == 0, res
    doc: dict[str, Any] = json.loads(res.stdout)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    return doc


def _scrape(cluster: Cluster, name: str, via: str) -> Samples:
    """Node ``name``'s metrics page, fetched from node ``via`` over the lab's bridge."""
    url = f"http://{cluster.lab[name].address}:{PORT}/metrics"
    res = cluster.lab[via].run([cluster.python, "-c", FETCH, url])
    assert res.returncode == 0, res
    samples: Samples = {}
    for family in text_string_to_metric_families(res.stdout):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def _get(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def _node(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["name"] == name)


def test_status_and_metrics_follow_a_failover(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster()
    for name, node in cluster.lab.nodes.items():
        (node.etc_dir / "pyhb.cf").write_text(f"metrics_listen {node.address}:{PORT}\n")
        assert name in ("a", "b")
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.has_vip("a"), 15)
    wait_for(lambda: _node(_status(cluster, "b"), "a")["status"] == "active", 10)
    wait_for(lambda: _status(cluster, "a")["groups"][0]["state"] == "running", 10)

    doc = _status(cluster, "b")
    assert doc["local_node"] == "b"
    assert doc["timings"]["keepalive_ms"] == 200
    assert doc["timings"]["deadtime_ms"] == 1000
    assert [r["resource"] for r in doc["groups"][0]["resources"]] == [
        f"IPaddr::{KEY}", "tsvc::one", "tsvc::two",
    ]  # fmt: skip
    assert doc["groups"][0]["holder"] == "a"
    assert _node(doc, "a")["links"] == [{"name": "hb0", "status": "up"}]

    a_page = _scrape(cluster, "a", via="b")
    assert _get(a_page, "pyhb_node_status", node="b", status="active") == 1
    assert _get(a_page, "pyhb_group_holder", group=KEY, node="a") == 1
    assert _get(a_page, "pyhb_group_takeovers_total", group=KEY) == 1
    assert _get(a_page, "pyhb_group_failovers_total", group=KEY) == 0
    labels = {"resource": "tsvc::one", "action": "start"}
    assert _get(a_page, "pyhb_script_duration_seconds_count", **labels) == 1
    b_page = _scrape(cluster, "b", via="a")
    assert _get(b_page, "pyhb_group_failovers_total", group=KEY) == 0
    assert _get(b_page, "pyhb_link_status", node="a", link="hb0", status="up") == 1

    cluster.kill("a")
    wait_for(lambda: cluster.has_vip("b"), 5)
    wait_for(lambda: _status(cluster, "b")["groups"][0]["state"] == "running", 10)
    doc = _status(cluster, "b")
    assert _node(doc, "a")["status"] == "dead"
    assert _node(doc, "a")["links"] == [{"name": "hb0", "status": "dead"}]
    assert doc["groups"][0]["holder"] == "b"
    assert doc["rscstatus"] == "all"

    page = _scrape(cluster, "b", via="b")
    assert _get(page, "pyhb_node_status", node="a", status="dead") == 1
    assert _get(page, "pyhb_node_status", node="a", status="active") == 0
    assert _get(page, "pyhb_link_status", node="a", link="hb0", status="dead") == 1
    assert _get(page, "pyhb_group_holder", group=KEY, node="b") == 1
    assert _get(page, "pyhb_group_failovers_total", group=KEY) == 1
    assert _get(page, "pyhb_group_takeovers_total", group=KEY) == 1
    assert _get(page, "pyhb_group_state", group=KEY, state="running") == 1


def test_no_metrics_listen_means_nothing_listens_and_the_watchdog_is_pinged(
    make_cluster: ClusterFactory, tmp_path: Path
) -> None:
    cluster = make_cluster()
    address = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    try:
        env = {**os.environ, "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "400000"}
        cluster.start("a", env=env)
        sock.settimeout(20)
        got = [sock.recv(4096) for _ in range(4)]
        assert got[0].startswith(b"READY=1") or got[1].startswith(b"READY=1")
        assert got.count(b"WATCHDOG=1") >= 2
        res = cluster.lab["a"].run(["ss", "-Htln"])
        assert res.returncode == 0, res
        assert res.stdout.strip() == "", res.stdout  # no TCP listener at all
    finally:
        sock.close()


def test_a_bad_metrics_listen_stops_the_start_with_file_and_line(
    make_cluster: ClusterFactory,
) -> None:
    cluster = make_cluster()
    (cluster.lab["a"].etc_dir / "pyhb.cf").write_text("# metrics\nmetrics_listen nowhere:99\n")
    proc = cluster.start("a")
    assert proc.wait(timeout=30) == 6  # a configuration error, as in ha.cf
    out = "".join(p.read_text() for p in sorted(cluster.lab["a"].log_dir.glob("*.log")))
    assert (
        "/etc/ha.d/pyhb.cf:2: error: metrics_listen 'nowhere:99': 'nowhere' is not an IP address"
        in out
    )
    assert "Configuration error, heartbeat not started." in out
    assert "Traceback" not in out
    assert not cluster.has_vip("a")
    # Refused before anything was touched: no generation was used up.
    assert not (cluster.lab["a"].var_lib_dir / "hb_generation").exists()


def test_late_heartbeats_and_junk_packets_are_counted(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster()
    a = cluster.lab["a"]
    (a.etc_dir / "pyhb.cf").write_text(f"metrics_listen *:{PORT}  # every address\n")
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.has_vip("a"), 15)
    wait_for(lambda: _node(_status(cluster, "a"), "b")["status"] == "active", 10)
    page = _scrape(cluster, "a", via="a")
    assert _get(page, "pyhb_bad_packets_dropped_total") == 0

    # b stops for longer than warntime (0.5 s): its next heartbeat is late at a.
    b = cluster.procs["b"]
    b.send_signal(signal.SIGSTOP)
    time.sleep(0.7)
    b.send_signal(signal.SIGCONT)
    # Junk from the client to the heartbeat port: rejected, and counted.
    assert cluster.lab.client is not None
    junk = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
        f"[s.sendto(b'junk %d' % i, ('{a.address}', 694)) for i in range(7)]"
    )
    assert cluster.lab.client.sh([cluster.python, "-c", junk]) == ""

    def counted() -> bool:
        page = _scrape(cluster, "a", via="a")
        late = sum(v for (name, labels), v in page.items() if name == "pyhb_late_heartbeats_total"
                   and ("node", "b") in labels)  # fmt: skip
        return late >= 1 and _get(page, "pyhb_bad_packets_dropped_total") == 7

    wait_for(counted, 10, step=0.2)
