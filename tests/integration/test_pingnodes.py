"""Ping nodes and respawn clients of pyhb daemons in network namespaces.

The ping node is the lab's client namespace (10.77.0.200, on the private bridge); a
``ping_group`` holds it and an address nobody has. Node ``a`` loses the ping node with an
iptables rule dropping ICMP in its own namespace, then gets it back.
"""

from __future__ import annotations

import os
import pwd
import signal
import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.netns import CLIENT_ADDRESS

pytestmark = pytest.mark.netns

ClusterFactory = Callable[..., Cluster]
PING = CLIENT_ADDRESS
DEADPING = 3.0  # seconds; long enough for a loaded machine to keep both ping nodes up

CLIENT = """#!/bin/sh
echo "$$ $(id -u) $(id -g) $(ps -o pgid= $$) $HA_deadping" >> /var/lib/heartbeat/client.runs
exec sleep 1000
"""


def _status(cluster: Cluster, node: str, name: str) -> str:
    return cluster.cl_status(node, "nodestatus", name).stdout.strip()


def _ping_cluster(make_cluster: ClusterFactory, *extra: str) -> Cluster:
    cluster = make_cluster(
        extra=[f"ping {PING}", f"ping_group grp {PING} 10.77.0.99", f"deadping {DEADPING}", *extra]
    )
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.has_vip("a"), 15)
    return cluster


def test_ping_nodes_are_listed_as_3_0_6_lists_them(make_cluster: ClusterFactory) -> None:
    cluster = _ping_cluster(make_cluster)
    wait_for(lambda: _status(cluster, "a", "grp") == "ping", 10, step=0.1)
    wait_for(lambda: _status(cluster, "a", PING) == "ping", 10, step=0.1)
    assert cluster.cl_status("a", "listnodes").stdout == f"grp\n{PING}\nb\na\n"
    assert cluster.cl_status("a", "listnodes", "-p").stdout == f"grp\n{PING}\n"
    verbose = (
        f"\ngrp\tping\t(nodetype: ping)\n\tgrp\tup\n"
        f"\n{PING}\tping\t(nodetype: ping)\n\t{PING}\tup\n"
        "\nb\tactive\t(nodetype: normal)\n\thb0\tup\n"
        "\na\tactive\t(nodetype: normal)\n\thb0\tup\n"
    )
    wait_for(lambda: cluster.cl_status("a", "listnodes", "-v").stdout == verbose, 10, step=0.1)
    result = cluster.cl_status("a", "nodetype", PING)
    assert (result.returncode, result.stdout) == (0, "ping\n")
    assert cluster.cl_status("a", "nodestatus", PING).returncode == 0
    assert cluster.cl_status("a", "listhblinks", PING).stdout == f"\t{PING}\n"
    log = cluster.ha_log("a")
    assert f"Status update for node {PING}: status ping" in log
    assert f"Link {PING}:{PING} up." in log


def test_an_unreachable_ping_node_goes_dead_after_deadping_and_comes_back(
    make_cluster: ClusterFactory,
) -> None:
    cluster = _ping_cluster(make_cluster)
    wait_for(lambda: _status(cluster, "a", PING) == "ping", 10, step=0.1)
    wait_for(lambda: _status(cluster, "b", PING) == "ping", 10, step=0.1)
    cluster.lab["a"].iptables("-A", "INPUT", "-p", "icmp", "-j", "DROP")
    took = wait_for(lambda: _status(cluster, "a", PING) == "dead", 10, step=0.05)
    print(f"ping node dead on a {took:.2f} s after the DROP rule (deadping {DEADPING} s)")
    assert took >= DEADPING - 0.6  # not before deadping: at most one keepalive early
    assert cluster.cl_status("a", "nodestatus", PING).returncode == 1
    wait_for(lambda: _status(cluster, "a", "grp") == "dead", 2, step=0.05)
    assert _status(cluster, "b", PING) == "ping"  # b still reaches it
    assert cluster.has_vip("a")
    assert not cluster.has_vip("b")
    assert f"node {PING}: is dead" in cluster.ha_log("a")
    assert f"Link {PING}:{PING} dead." in cluster.ha_log("a")
    cluster.lab["a"].clear_rules()
    wait_for(lambda: _status(cluster, "a", PING) == "ping", 10, step=0.05)
    wait_for(lambda: _status(cluster, "a", "grp") == "ping", 10, step=0.05)
    assert _status(cluster, "a", "b") == "active"


def _runs(cluster: Cluster, node: str) -> list[list[str]]:
    path = cluster.lab[node].var_lib_dir / "client.runs"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_a_respawn_client_runs_as_its_user_is_restarted_and_stopped_with_the_daemon(
    make_cluster: ClusterFactory,
) -> None:
    cluster = make_cluster(extra=["respawn hacluster /var/lib/heartbeat/client"])
    for node in ("a", "b"):
        script = cluster.lab[node].var_lib_dir / "client"
        script.write_text(CLIENT)
        script.chmod(0o755)
        runs = cluster.lab[node].var_lib_dir / "client.runs"
        runs.touch()
        runs.chmod(0o666)
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: len(_runs(cluster, "a")) == 1, 20, step=0.1)
    hacluster = pwd.getpwnam("hacluster")
    pid, uid, gid, pgid, deadping = _runs(cluster, "a")[0]
    assert (int(uid), int(gid)) == (hacluster.pw_uid, hacluster.pw_gid)
    assert pgid == pid  # a process group of its own
    assert deadping == "1000ms"  # the HA_* environment: deadping defaults to deadtime (1 s)
    started = time.monotonic()
    os.kill(int(pid), signal.SIGKILL)
    wait_for(lambda: len(_runs(cluster, "a")) == 2, 10, step=0.05)
    print(f"respawned {time.monotonic() - started:.2f} s after the kill")
    log = cluster.ha_log("a")
    assert 'Respawning client "/var/lib/heartbeat/client":' in log
    second = int(_runs(cluster, "a")[1][0])
    cluster.stop("a")
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)
    log = cluster.ha_log("a")
    assert f"killing /var/lib/heartbeat/client process group {second} with signal 15" in log
    # after the resources were released, as 3.0.6 does
    assert log.index("All HA resources relinquished.") < log.index("process group")


def test_a_client_that_keeps_failing_is_given_up_after_ten_respawns(
    make_cluster: ClusterFactory,
) -> None:
    cluster = make_cluster(extra=["respawn hacluster /bin/false"])
    cluster.start("a")
    wait_for(lambda: 'Client /bin/false "respawning too fast"' in cluster.ha_log("a"), 40, 0.2)
    time.sleep(1.5)  # no further start follows
    log = cluster.ha_log("a")
    assert log.count('Starting "/bin/false" as uid') == 11  # the first run and ten respawns
    assert log.count('Respawning client "/bin/false":') == 10
    assert "Managed /bin/false process" in log
    assert "exited with return code 1." in log
    cluster.stop("a")
    assert "client [/bin/false] is not running." in cluster.ha_log("a")
