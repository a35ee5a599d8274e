"""ha.cf and haresources name the nodes ``A`` and ``B`` while the hosts are ``a`` and
``b`` (uname -n): the cluster runs, fails over, and ``cl_status`` answers for either
spelling, as heartbeat does."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.netns import Lab

pytestmark = pytest.mark.netns


def test_upper_case_node_names(make_lab: Callable[..., Lab]) -> None:
    cluster = Cluster(make_lab(("a", "b")), upper_names=True)
    cluster.configure()
    assert "node A B" in (cluster.lab["a"].etc_dir / "ha.cf").read_text()
    try:
        cluster.start("a")
        cluster.start("b")
        wait_for(lambda: cluster.owners() == ["a"], 15, step=0.1)
        for me, other in (("a", "b"), ("b", "a")):
            for spelled in (other, other.upper()):
                res = cluster.cl_status(me, "nodestatus", spelled)
                assert (res.returncode, res.stdout) == (0, "active\n"), res
        listed = cluster.cl_status("a", "listnodes").stdout.split()
        assert sorted(listed) == ["a", "b"]  # printed lower-cased, as heartbeat
        cluster.kill("a")
        wait_for(lambda: cluster.has_vip("b"), 3, step=0.1)
        wait_for(lambda: cluster.cl_status("b", "nodestatus", "A").stdout == "dead\n", 5)
        assert cluster.cl_status("b", "nodestatus", "A").returncode == 1
    finally:
        for proc in cluster.procs.values():
            proc.kill()
            proc.wait(timeout=10)
