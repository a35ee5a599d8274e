"""Fixtures for tests that run nodes in network namespaces (root only, marker ``netns``)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Sequence

import pytest

from pyhb.lab.cluster import Cluster
from tests.helpers.netns import Lab, cleanup_stale, netns_available

ClusterFactory = Callable[..., Cluster]


@pytest.fixture(scope="session")
def netns_ready() -> None:
    """Skip unless namespaces can be made here; remove leftovers of crashed runs once."""
    reason = netns_available()
    if reason is not None:
        pytest.skip(reason)
    cleanup_stale()


@pytest.fixture
def make_lab(netns_ready: None) -> Iterator[Callable[..., Lab]]:
    """Build started labs (``make_lab(("a", "b", "c"), client=False)``); all torn down after."""
    labs: list[Lab] = []

    def make(nodes: Sequence[str] = ("a", "b"), **kwargs: object) -> Lab:
        lab = Lab(nodes, **kwargs)  # type: ignore[arg-type]
        labs.append(lab)
        lab.start()
        return lab

    yield make
    for lab in labs:
        lab.close()


@pytest.fixture
def lab(make_lab: Callable[..., Lab]) -> Lab:
    """Two nodes ``a`` (10.77.0.1) and ``b`` (10.77.0.2) plus a client (10.77.0.200)."""
    return make_lab(("a", "b"))


@pytest.fixture
def make_cluster(make_lab: Callable[..., Lab]) -> Iterator[ClusterFactory]:
    """Configured two-node clusters (``make_cluster(auto_failback="off")``); every daemon
    is killed after the test and each node's ha-log printed (pytest shows it on failure)."""
    clusters: list[Cluster] = []

    def make(*, seed_from_host: bool = True, **kwargs: object) -> Cluster:
        lab = make_lab(("a", "b"), seed_from_host=seed_from_host)
        cluster = Cluster(lab, **kwargs)  # type: ignore[arg-type]
        cluster.configure()
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        for proc in cluster.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)  # a test may have left it stopped
                proc.kill()
            proc.wait(timeout=10)
        for name in cluster.lab.nodes:
            print(f"---- {name}: ha-log\n{cluster.ha_log(name)[-6000:]}")
