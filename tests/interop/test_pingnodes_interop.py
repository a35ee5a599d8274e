"""Ping nodes in a mixed cluster: the pyhb node and the Heartbeat 3.0.6 node list and time
the same ping nodes the same way, and nothing about them troubles the other node."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.netns import CLIENT_ADDRESS

pytestmark = [pytest.mark.netns, pytest.mark.interop]

PING = CLIENT_ADDRESS


def _status(cluster: Cluster, node: str, name: str) -> str:
    return cluster.cl_status(node, "nodestatus", name).stdout.strip()


def test_pyhb_lists_ping_nodes_as_heartbeat_3_0_6_does(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(
        real={"b"},
        keepalive="500ms",
        deadtime="2",
        extra=[f"ping {PING}", f"ping_group grp {PING} 10.77.0.99", "deadping 4"],
    )
    cluster.start("a")
    cluster.start("b")
    for node in ("a", "b"):
        wait_for(lambda n=node: _status(cluster, n, "grp") == "ping", 30, step=0.2)
        wait_for(lambda n=node: _status(cluster, n, PING) == "ping", 30, step=0.2)
    for node, other in (("a", "b"), ("b", "a")):
        wait_for(lambda n=node, o=other: _status(cluster, n, o) == "active", 30, step=0.2)
    # 3.0.6's resource negotiation at a cold start takes about 10 s: the group is placed
    # before the ping nodes are made to fail, so that what follows can show they move nothing.
    wait_for(lambda: cluster.has_vip("a"), 30, step=0.2)
    for args in (["listnodes"], ["listnodes", "-p"], ["listnodes", "-n"],
                 ["nodetype", PING], ["nodetype", "grp"], ["listhblinks", "grp"]):  # fmt: skip
        pyhb, real = cluster.cl_status("a", *args), cluster.cl_status("b", *args)
        assert (pyhb.returncode, pyhb.stdout) == (real.returncode, real.stdout), args
    # -v differs only in which node is the local one; both show the ping nodes alike
    ping_block = f"\ngrp\tping\t(nodetype: ping)\n\tgrp\tup\n\n{PING}\tping\t(nodetype: ping)\n"
    for node in ("a", "b"):
        wait_for(
            lambda n=node: cluster.cl_status(n, "listnodes", "-v").stdout.startswith(ping_block),
            10,
            step=0.1,
        )
    for node in ("a", "b"):
        cluster.lab[node].iptables("-A", "INPUT", "-p", "icmp", "-j", "DROP")
    for node in ("a", "b"):
        wait_for(lambda n=node: _status(cluster, n, PING) == "dead", 15, step=0.1)
        # 3.0.6 pings a group from a process of its own: its group may go a beat later
        wait_for(lambda n=node: _status(cluster, n, "grp") == "dead", 5, step=0.1)
        result = cluster.cl_status(node, "nodestatus", "grp")
        assert (result.returncode, result.stdout) == (1, "dead\n")
    for node in ("a", "b"):
        cluster.lab[node].clear_rules()
    for node in ("a", "b"):
        wait_for(lambda n=node: _status(cluster, n, PING) == "ping", 15, step=0.1)
    assert cluster.has_vip("a")  # ping nodes move nothing by themselves
    assert not cluster.has_vip("b")
