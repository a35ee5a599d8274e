"""``service heartbeat start|status|reload|stop`` through pyhb's init script, with the
daemon detaching as it does on a server (no -f)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.netns import Lab

pytestmark = pytest.mark.netns

INIT_SCRIPT = Path(__file__).resolve().parents[2] / "etc" / "init.d" / "heartbeat"


def _service(cluster: Cluster, node: str, action: str) -> tuple[int, str]:
    res = cluster.lab[node].run(
        ["sh", str(INIT_SCRIPT), action],
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HEARTBEAT": "/var/lib/heartbeat/hb"},
        timeout=60,
    )
    return res.returncode, res.stdout + res.stderr


def test_init_script_starts_reports_reloads_and_stops_a_detached_daemon(
    make_lab: Callable[..., Lab],
) -> None:
    cluster = Cluster(make_lab(("a", "b")))
    cluster.configure()
    for node in cluster.lab.nodes.values():
        wrapper = node.var_lib_dir / "hb"
        wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m pyhb.cli.heartbeat "$@"\n')
        wrapper.chmod(0o755)

    assert _service(cluster, "a", "status")[0] == 3  # not running yet
    for node in ("a", "b"):
        rc, out = _service(cluster, node, "start")
        assert rc == 0, out
        assert "Starting High-Availability services: Done." in out
    wait_for(lambda: cluster.has_vip("a"), 15)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 5)

    rc, out = _service(cluster, "a", "status")
    assert rc == 0, out
    assert "is running on a" in out
    pid = int((cluster.lab["a"].run_dir / "heartbeat.pid").read_text().split()[0])
    assert pid > 1

    rc, out = _service(cluster, "a", "reload")
    assert rc == 0, out
    wait_for(lambda: "Configuration unchanged." in cluster.ha_log("a"), 5)

    rc, out = _service(cluster, "a", "stop")
    assert rc == 0, out
    assert "Stopping High-Availability services: Done." in out
    assert not cluster.has_vip("a")
    assert not (cluster.lab["a"].run_dir / "heartbeat.pid").exists()
    wait_for(lambda: cluster.has_vip("b"), 5)
    assert _service(cluster, "a", "status")[0] == 3
    rc, out = _service(cluster, "b", "stop")
    assert rc == 0, out
    assert not cluster.has_vip("b")
