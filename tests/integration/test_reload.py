"""``heartbeat -r`` (SIGHUP, ``service heartbeat reload``) on a running pair."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.netns import Lab

pytestmark = pytest.mark.netns


def _write_all(cluster: Cluster, name: str, text: str) -> None:
    for node in cluster.lab.nodes.values():
        path = node.etc_dir / name
        path.write_text(text)


def _reload_all(cluster: Cluster) -> None:
    for name in cluster.lab.nodes:
        res = cluster.tool(name, "heartbeat", "-r")
        assert res.returncode == 0, res
        assert "to reread config files" in res.stdout


def test_reload_rotates_authkeys_and_timings_without_a_failover(
    make_lab: Callable[..., Lab],
) -> None:
    cluster = Cluster(make_lab(("a", "b")))
    cluster.configure()
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.owners() == ["a"], 15)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 5)

    # Key rotation the safe way: add the new key, reload both; then switch to it.
    _write_all(cluster, "authkeys", "auth 1\n1 sha1 pyhb-lab-secret\n2 md5 rotated\n")
    _reload_all(cluster)
    time.sleep(0.5)
    _write_all(cluster, "authkeys", "auth 2\n1 sha1 pyhb-lab-secret\n2 md5 rotated\n")
    ha_cf = (cluster.lab["a"].etc_dir / "ha.cf").read_text()
    _write_all(cluster, "ha.cf", ha_cf.replace("keepalive 200ms", "keepalive 100ms"))
    _reload_all(cluster)
    time.sleep(1.5)

    for name in ("a", "b"):
        log = cluster.ha_log(name)
        assert "Configuration reloaded: keepalive, authkeys" in log
        assert "is dead" not in log
        assert "authentication" not in log.lower()
    assert cluster.owners() == ["a"]
    assert cluster.cl_status("a", "hbparameter", "-p", "keepalive").stdout.strip() in {
        "100",
        "100ms",
    }

    # A broken ha.cf is refused by heartbeat -r and by a raw SIGHUP; nothing stops.
    _write_all(cluster, "ha.cf", ha_cf + "bogus_directive 1\n")
    res = cluster.tool("a", "heartbeat", "-r")
    assert res.returncode == 6
    assert "NOT restarted" in res.stderr
    cluster.procs["a"].send_signal(1)
    wait_for(lambda: "configuration NOT reloaded" in cluster.ha_log("a"), 5)
    time.sleep(0.5)
    assert cluster.owners() == ["a"]
    assert cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active"
