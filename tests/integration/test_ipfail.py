"""The real ipfail of the heartbeat package, respawned by pyhb, moves the group away from
the node that lost its ping node; both nodes stay active.

The ping node is the lab's client namespace. ha.cf names ipfail where older packages put
it (/usr/lib/heartbeat), as old configurations do: pyhb runs /usr/libexec/heartbeat/ipfail.
ipfail talks to the daemon through the heartbeat client API (/run/heartbeat/register).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.netns import CLIENT_ADDRESS

IPFAIL = "/usr/libexec/heartbeat/ipfail"

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(not os.access(IPFAIL, os.X_OK), reason=f"{IPFAIL} is not installed"),
]

ClusterFactory = Callable[..., Cluster]


def ipfail_lines(program: str) -> list[str]:
    return [
        f"ping {CLIENT_ADDRESS}",
        "deadping 3",
        f"respawn hacluster {program}",
        "apiauth ipfail gid=haclient uid=hacluster",
    ]


def lose_ping_node_and_move(cluster: Cluster) -> float:
    """Start both nodes, let ``a`` lose its route to the ping node; the seconds it took
    the group to move to ``b``."""
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.has_vip("a"), 30, step=0.1)
    for me, other in (("a", "b"), ("b", "a")):
        wait_for(
            lambda m=me, o=other: cluster.cl_status(m, "nodestatus", o).stdout.strip() == "active",
            20,
            step=0.2,
        )
    time.sleep(3)  # ipfail has signed on and compared ping node counts
    began = time.monotonic()
    cluster.lab["a"].iptables("-A", "INPUT", "-p", "icmp", "-j", "DROP")
    took = wait_for(lambda: cluster.has_vip("b") and not cluster.has_vip("a"), 60, step=0.1)
    for me, other in (("a", "b"), ("b", "a")):
        assert cluster.cl_status(me, "nodestatus", other).stdout.strip() == "active"
    assert time.monotonic() - began >= 3  # not before deadping
    return took


def test_ipfail_moves_the_group_off_the_node_that_lost_the_ping_node(
    make_cluster: ClusterFactory,
) -> None:
    cluster = make_cluster(
        keepalive="500ms",
        deadtime="2",
        auto_failback="off",
        extra=ipfail_lines("/usr/lib/heartbeat/ipfail"),
    )
    took = lose_ping_node_and_move(cluster)
    print(f"group moved {took:.2f} s after the ping node became unreachable from a")
    assert f"running {IPFAIL} instead" in cluster.ha_log("a")
