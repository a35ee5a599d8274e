"""auto_failback left out of ha.cf (Heartbeat's legacy mode) with pyhb next to 3.0.6.

The two speak the ip-request protocol to each other: whichever runs the group's
haresources node, the group goes there when both start together, to the other node
when it is killed, and back to it when it returns, one owner at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.interop]

ClusterFactory = Callable[..., Cluster]


def _actions(cluster: Cluster, node: str) -> list[str]:
    return [" ".join(line.split()[2:]) for line in cluster.service_log(node)]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "real",
    ["a", "b"],
)
def test_legacy_group_follows_its_node_across_implementations(
    make_cluster: ClusterFactory, real: str
) -> None:
    cluster = make_cluster(real={real}, auto_failback=None, keepalive="200ms", deadtime="1")
    assert "auto_failback" not in (cluster.lab["a"].etc_dir / "ha.cf").read_text()
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.owners() == ["a"], 15, step=0.1)
    wait_for(lambda: cluster.cl_status("a", "nodestatus", "b").stdout.strip() == "active", 10)
    time.sleep(3)
    assert cluster.owners() == ["a"]
    assert _actions(cluster, "b") == []

    cluster.kill("a")
    wait_for(lambda: cluster.has_vip("b"), 5, step=0.1)
    # A rebooting node is back after the peer's takeover has finished; a node that returns
    # in the middle of it is another case (see docs/ownership.md), not this one.
    wait_for(lambda: _actions(cluster, "b")[-2:] == ["one start", "two start"], 5)
    cluster.reboot("a")
    cluster.start("a")
    wait_for(lambda: cluster.owners() == ["a"], 15, step=0.1)
    wait_for(lambda: _actions(cluster, "b")[-2:] == ["two stop", "one stop"], 5)
    stop_b = float(cluster.service_log("b")[-1].split()[0])
    wait_for(lambda: len(_actions(cluster, "a")) == 4, 5)
    start_a = float(cluster.service_log("a")[-2].split()[0])
    assert stop_b <= start_a, "a started the group before b had stopped it"
    time.sleep(3)
    assert cluster.owners() == ["a"]
