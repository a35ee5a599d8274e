"""Resource monitoring with pyhb nodes in namespaces (docs/monitoring.md).

The group is ``VIP websvc``: a python HTTP server on port 8080 managed by an LSB script
with a pid file; the client namespace asks it over the VIP. Killing the server is a
service dying; ``ip addr del`` of the VIP is an address removed by hand.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.monitored import install, kill_service, served, service_pid
from pyhb.lab.netns import IFACE

pytestmark = pytest.mark.netns

ClusterFactory = Callable[..., Cluster]
GROUP = f"{VIP}/24/{IFACE}"  # the group key: its first resource as written
RESOURCES = f"{GROUP} websvc"


def _cluster(
    make_cluster: ClusterFactory, pyhbcf: str, scripts: dict[str, str] | None = None
) -> Cluster:
    cluster = make_cluster(resources=RESOURCES)
    install(cluster, pyhbcf, scripts)
    return cluster


def _start(cluster: Cluster) -> None:
    cluster.start("a")
    cluster.start("b")
    assert cluster.lab.client is not None
    client = cluster.lab.client
    wait_for(lambda: cluster.has_vip("a") and served(client), 20, step=0.1)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 5)


def _starts(cluster: Cluster, node: str) -> int:
    return sum(1 for line in cluster.service_log(node) if line.endswith("websvc start"))


def test_killed_service_restarts_in_place_then_moves_and_stays_until_cleanup(
    make_cluster: ClusterFactory,
) -> None:
    cluster = _cluster(
        make_cluster, "monitor websvc interval=300ms timeout=2s restarts=1 window=1m\n"
    )
    _start(cluster)
    client = cluster.lab.client
    assert client is not None

    # First death: restarted on a, the VIP never moves.
    old = kill_service(cluster, "a")
    wait_for(lambda: _starts(cluster, "a") == 2 and served(client), 10, step=0.05)
    assert service_pid(cluster, "a") != old
    assert cluster.owners() == ["a"]
    log = cluster.ha_log("a")
    assert "monitor of websvc (status) failed: not running; restart 1 of 1 within 60s" in log
    assert f"Resource group {GROUP}: restart completed" in log

    # Second death within the window: the group goes to b and the client reaches it there.
    kill_service(cluster, "a")
    wait_for(lambda: cluster.owners() == ["b"] and served(client), 15, step=0.05)
    assert "handing it over to b" in cluster.ha_log("a")

    # The status document shows it (the monitor's view on a).
    res = cluster.lab["a"].run([cluster.python, "-m", "pyhb.cli.tool", "status", "--json"])
    assert res.returncode == 0, res
    (grp,) = json.loads(res.stdout)["groups"]
    ip, web = (r["monitor"] for r in grp["resources"])
    assert (grp["error"], ip["monitored"]) == ("monitor: failed here", False)
    assert {k: web[k] for k in ("monitored", "last_check_ok", "restarts", "cleared")} == {
        "monitored": True, "last_check_ok": False, "restarts": 1, "cleared": False,
    }  # fmt: skip
    assert web["failures_in_window"] == 2
    # auto_failback on does not pull it back...
    time.sleep(3)
    assert cluster.owners() == ["b"]
    status = cluster.cl_status("a", "rscstatus").stdout.strip()
    assert status == "none"
    # ...nor when a's pyhb restarts...
    cluster.stop("a")
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "dead", 10)
    cluster.start("a")
    wait_for(lambda: "failed on this node before" in cluster.ha_log("a"), 20, step=0.1)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 15)
    time.sleep(2)
    assert cluster.owners() == ["b"]
    assert served(client)
    # ...until the operator clears the failure on a.
    res = cluster.tool("a", cluster.python, "-m", "pyhb.cli.tool", "cleanup", GROUP)
    assert res.returncode == 0, res
    wait_for(lambda: cluster.owners() == ["a"] and served(client), 15, step=0.05)


def test_a_hung_check_is_killed_at_its_timeout_and_counts_as_a_failure(
    make_cluster: ClusterFactory,
) -> None:
    check = "#!/bin/sh\n[ -e /var/lib/heartbeat/hang ] && exec sleep 617.25\nexit 0\n"
    cluster = _cluster(
        make_cluster,
        "monitor websvc interval=300ms timeout=1s restarts=3 check=/etc/ha.d/check-web\n",
        scripts={"check-web": check},
    )
    _start(cluster)
    (cluster.lab["a"].var_lib_dir / "hang").touch()
    wait_for(lambda: "killed after 1s" in cluster.ha_log("a"), 6, step=0.05)
    (cluster.lab["a"].var_lib_dir / "hang").unlink()
    wait_for(lambda: _starts(cluster, "a") == 2, 10, step=0.05)
    log = cluster.ha_log("a")
    assert "monitor of websvc (/etc/ha.d/check-web) timed out: killed after 1s" in log
    assert cluster.owners() == ["a"]
    assert "is dead" not in cluster.ha_log("b")  # the hung check never held up heartbeats
    # The hung check's process group was killed, not left behind.
    assert "sleep 617.25" not in cluster.lab["a"].sh(["ps", "-eo", "args"])


def test_a_monitored_address_removed_by_hand_is_restored(make_cluster: ClusterFactory) -> None:
    cluster = _cluster(make_cluster, f"monitor {VIP}/24/{IFACE} interval=300ms\n")
    _start(cluster)
    client = cluster.lab.client
    assert client is not None
    cluster.lab["a"].sh(["ip", "addr", "del", f"{VIP}/24", "dev", IFACE])
    assert not cluster.has_vip("a")
    wait_for(lambda: cluster.has_vip("a") and served(client), 10, step=0.05)
    log = cluster.ha_log("a")
    assert f"monitor of IPaddr::{VIP}/24/{IFACE} (status) failed" in log
    assert cluster.owners() == ["a"]


def test_a_reload_starts_the_monitors_pyhbcf_now_names(make_cluster: ClusterFactory) -> None:
    cluster = _cluster(make_cluster, "# nothing monitored yet\n")
    _start(cluster)
    client = cluster.lab.client
    assert client is not None
    (cluster.lab["a"].etc_dir / "pyhb.cf").write_text("monitor websvc interval=300ms\n")
    cluster.procs["a"].send_signal(signal.SIGHUP)
    # The reload logs the new monitor, then that it is done: wait for both lines.
    wait_for(lambda: "Configuration reloaded: pyhb.cf" in cluster.ha_log("a"), 5, step=0.05)
    assert "Monitoring websvc every 0.3s" in cluster.ha_log("a")
    kill_service(cluster, "a")
    wait_for(lambda: _starts(cluster, "a") == 2 and served(client), 10, step=0.05)
    assert cluster.owners() == ["a"]
