"""STONITH next to the real Heartbeat 3.0.6: the same ``stonith_host`` line, the same
cluster-glue plugin (``pyhb.lab.fencing``, bind-mounted over the external plugin
directory inside the nodes only), and either implementation resets a silent owner before
taking its group, with the same log lines (3.0.6 names the device by its id where
pyhb names its type)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.fencing import STONITH_TYPE, install_stonith, stonith_calls
from tests.faults.harness import OwnersMonitor, holders, tsvc_actions

pytestmark = [pytest.mark.netns, pytest.mark.interop]

ClusterFactory = Callable[..., Cluster]


@pytest.mark.parametrize("fencer_real", [True, False], ids=["heartbeat-fences", "pyhb-fences"])
def test_silent_owner_is_reset_before_takeover(
    make_cluster: ClusterFactory, tmp_path: Path, fencer_real: bool
) -> None:
    if shutil.which("/usr/sbin/stonith") is None:
        pytest.skip("cluster-glue's stonith command is not installed")
    labdir = tmp_path / "stonith"
    cluster = make_cluster(
        real={"b"} if fencer_real else {"a"},
        medium="ucast",
        # Only b may use the device (stonith_host's HOST): a partition makes both sides
        # declare the other dead, and 3.0.6 resets a peer that claims its (here empty)
        # local set, so with '*' the two would race to reset each other.
        extra=[f"stonith_host b {STONITH_TYPE} {labdir}"],
    )
    install_stonith(cluster.lab, labdir, ("a", "b"))
    cluster.start("a")
    wait_for(lambda: tsvc_actions(cluster, "a") == ["one start", "two start"], 40)
    cluster.start("b")
    wait_for(lambda: cluster.cl_status("a", "nodestatus", "b").stdout.strip() == "active", 40)
    time.sleep(3)
    assert holders(cluster) == {"a"}
    (labdir / "fail").write_text("1\n")  # the first reset is refused: each retries
    with OwnersMonitor(cluster) as mon:
        cluster.lab["a"].link_down()
        wait_for(lambda: holders(cluster) == {"b"}, 60)
        time.sleep(1)
    assert mon.max_owners() == 1
    calls = stonith_calls(labdir)
    resets_of_a = [line.split()[1:] for line in calls if line.endswith(" reset a")]
    assert resets_of_a == [["b", "reset", "a"]] * 2  # refused once, then done
    assert calls[-1].endswith("powered off a")
    # Both log the same lines around the reset, in the same order.
    log_b = cluster.ha_log("b")
    expected = [
        "WARN: node a: is dead",
        "Resetting node a with [",
        "ERROR: Host a not reset!",
        "ERROR: STONITH of a failed.  Retrying...",
        "Resetting node a with [",
        "info: node a now reset.",
        "info: Resources being acquired from a.",
    ]
    at = log_b.index("node a: is dead")
    for text in expected[1:]:
        at = log_b.index(text, at + 1)
    first_start = float(cluster.service_log("b")[0].split()[0])
    powered_off = float(calls[-1].split()[0])
    assert first_start > powered_off
    assert "No STONITH device configured." in cluster.ha_log("a")  # the line is b's only
