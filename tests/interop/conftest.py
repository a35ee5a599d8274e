"""Fixtures for tests that run pyhb next to the real Heartbeat 3.0.6 (root + package only).

A test here gets a ``make_cluster`` factory: a two-node ``Cluster`` in a fresh lab whose
``real`` nodes run ``/usr/libexec/heartbeat/heartbeat -f`` with their own private
/etc/ha.d, /var/lib/heartbeat and /run, the others pyhb, all with one configuration.
Every daemon is killed and every namespace removed after the test, even when it fails;
the tail of each node's ha-log is printed for the failure report (and with
``PYHB_INTEROP_LOGS=DIR`` every node's logs are kept in DIR).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from pyhb.lab.cluster import REAL_HEARTBEAT, Cluster
from tests.helpers.netns import Lab, cleanup_stale, netns_available

ClusterFactory = Callable[..., Cluster]


@pytest.fixture(scope="session")
def interop_ready() -> None:
    """Skip unless namespaces can be made here and the real heartbeat is installed."""
    reason = netns_available()
    if reason is not None:
        pytest.skip(reason)
    if not os.access(REAL_HEARTBEAT[0], os.X_OK):
        pytest.skip(f"the real Heartbeat 3.0.6 ({REAL_HEARTBEAT[0]}) is not installed")
    if not Path("/etc/ha.d/resource.d/IPaddr").exists():
        pytest.skip("the heartbeat package's /etc/ha.d/resource.d is not installed")
    cleanup_stale()


@pytest.fixture
def make_cluster(interop_ready: None) -> Iterator[ClusterFactory]:
    """``make_cluster(real={"a"}, medium="ucast", ...)``: a configured, not started cluster."""
    labs: list[Lab] = []
    clusters: list[Cluster] = []

    def make(*, nodes: Sequence[str] = ("a", "b"), **kwargs: object) -> Cluster:
        lab = Lab(nodes)
        labs.append(lab)
        lab.start()
        cluster = Cluster(lab, **kwargs)  # type: ignore[arg-type]
        cluster.configure()
        clusters.append(cluster)
        return cluster

    yield make
    keep = os.environ.get("PYHB_INTEROP_LOGS")  # a directory to keep every node's logs in
    for cluster in clusters:
        if keep:
            for name, node in cluster.lab.nodes.items():
                dest = Path(keep) / f"{cluster.lab.prefix}{name}"
                dest.mkdir(parents=True, exist_ok=True)
                for log in ("ha-log", "ha-debug", "tsvc.log"):
                    if (node.var_lib_dir / log).exists():
                        shutil.copy(node.var_lib_dir / log, dest / log)
        for proc in cluster.procs.values():
            proc.kill()
            proc.wait(timeout=10)
        for name in cluster.lab.nodes:  # shown by pytest when the test failed
            kind = "real" if name in cluster.real else "pyhb"
            print(f"---- {cluster.medium} {name} ({kind}): ha-log\n{cluster.ha_log(name)[-5000:]}")
    for lab in labs:
        lab.close()
