"""Heartbeat's default ownership mode, ``legacy``, between two pyhb daemons in namespaces.

The ha.cf has no ``auto_failback`` line at all, as many old configurations do: the group
goes to its haresources node when both start, to the survivor when that node is lost,
and back to it when it returns (the ip-request exchange, see docs/ownership.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for

pytestmark = pytest.mark.netns

DEADTIME = 1.0
ClusterFactory = Callable[..., Cluster]


def _actions(cluster: Cluster, node: str) -> list[str]:
    return [" ".join(line.split()[2:]) for line in cluster.service_log(node)]


def _no_auto_failback_line(cluster: Cluster) -> None:
    text = (cluster.lab["a"].etc_dir / "ha.cf").read_text()
    assert "auto_failback" not in text


@pytest.mark.parametrize("first", ["together", "a", "b"])
def test_default_mode_puts_the_group_on_its_node(make_cluster: ClusterFactory, first: str) -> None:
    """Started together or 2 s apart (within initdead), either first: the group runs on
    a, its haresources node, within a few seconds, and never ran on b."""
    cluster = make_cluster(auto_failback=None)
    _no_auto_failback_line(cluster)
    order = ["b", "a"] if first == "b" else ["a", "b"]
    cluster.start(order[0])
    if first != "together":
        time.sleep(2)
    cluster.start(order[1])
    wait_for(lambda: cluster.owners() == ["a"], 15, step=0.1)
    wait_for(lambda: _actions(cluster, "a") == ["one start", "two start"], 5)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 5)
    time.sleep(3)
    assert cluster.owners() == ["a"]
    assert _actions(cluster, "a") == ["one start", "two start"]
    assert _actions(cluster, "b") == []


def test_default_mode_fails_over_and_back(make_cluster: ClusterFactory) -> None:
    """kill -9 of the owner: b takes the group within deadtime + 1 s; a reboots and
    starts again: b stops the group first, then a starts it (legacy failback)."""
    cluster = make_cluster(auto_failback=None)
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.owners() == ["a"], 15, step=0.1)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 5)
    cluster.kill("a")
    took = wait_for(lambda: cluster.has_vip("b"), DEADTIME + 2)
    assert took <= DEADTIME + 2
    wait_for(lambda: _actions(cluster, "b") == ["one start", "two start"], 5)

    cluster.reboot("a")
    cluster.start("a")
    wait_for(lambda: cluster.owners() == ["a"], 15, step=0.1)
    wait_for(lambda: _actions(cluster, "a") == ["one start", "two start"] * 2, 5)
    assert _actions(cluster, "b") == ["one start", "two start", "two stop", "one stop"]
    stamps_b = [float(line.split()[0]) for line in cluster.service_log("b")]
    first_a_restart = float(cluster.service_log("a")[-2].split()[0])
    assert stamps_b[-1] <= first_a_restart, "a started before b had released the group"
    time.sleep(3)
    assert cluster.owners() == ["a"]

    # b stops and comes back: nothing moves.
    cluster.stop("b")
    cluster.start("b")
    wait_for(lambda: cluster.cl_status("a", "nodestatus", "b").stdout.strip() == "active", 15)
    time.sleep(3)
    assert cluster.owners() == ["a"]
    assert len(_actions(cluster, "a")) == 4
