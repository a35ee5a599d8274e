"""Key changes in a running cluster: a leftover crc key is refused on input, and a cluster
moving from crc to sha1 one node at a time keeps its members while it does."""

from __future__ import annotations

import dataclasses

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod, ClusterConfig
from pyhb.core.events import NodeStatus
from pyhb.core.keychange import GRACE
from tests.helpers.sim import ClusterSim, make_config

CRC1 = AuthKey(1, AuthMethod.CRC, b"")
SHA2 = AuthKey(2, AuthMethod.SHA1, b"new-secret")


def _with_keys(cfg: ClusterConfig, active: int) -> ClusterConfig:
    return dataclasses.replace(cfg, authkeys=AuthKeys(active, (CRC1, SHA2)))


def _status_of(sim: ClusterSim, node: str, peer: str) -> NodeStatus:
    engine = sim.nodes[node].engine
    assert engine is not None
    found = engine.peers.get(peer)
    assert found is not None
    return found.status


def test_crc_to_sha1_one_node_at_a_time_keeps_the_cluster_together() -> None:
    """Node a reloads with ``auth 2`` (sha1) while b still signs with crc key 1: a keeps
    accepting b for the grace period, b accepts a's sha1; once b reloads too, both speak
    sha1 and the grace is no longer needed."""
    configs = {n: _with_keys(make_config(n), 1) for n in ("a", "b")}
    sim = ClusterSim(configs)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners("10.77.0.100/24/hb0") == ["a"])
    sim.run_for(10)
    a = sim.nodes["a"].engine
    assert a is not None
    a.reconfigure(_with_keys(configs["a"], 2), sim.instant())
    assert "packets signed with it are accepted for 600 s more" in "\n".join(
        ev.text for ev in iter(a.next_event, None) if hasattr(ev, "text")
    )
    sim.run_for(GRACE / 2)
    assert _status_of(sim, "a", "b") is NodeStatus.ACTIVE
    assert _status_of(sim, "b", "a") is NodeStatus.ACTIVE
    b = sim.nodes["b"].engine
    assert b is not None
    b.reconfigure(_with_keys(configs["b"], 2), sim.instant())
    sim.run_for(GRACE)  # past a's grace: both sign with sha1 now
    assert _status_of(sim, "a", "b") is NodeStatus.ACTIVE
    assert sim.owners("10.77.0.100/24/hb0") == ["a"]


def test_the_grace_ends_and_a_leftover_crc_key_is_refused() -> None:
    """If b never changes its key, a stops believing crc packets once the grace is over;
    a node started with a leftover crc key never accepts it."""
    configs = {n: _with_keys(make_config(n), 1) for n in ("a", "b")}
    sim = ClusterSim(configs)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners("10.77.0.100/24/hb0") == ["a"])
    a = sim.nodes["a"].engine
    assert a is not None
    a.reconfigure(_with_keys(configs["a"], 2), sim.instant())
    sim.run_for(GRACE - 10)
    assert _status_of(sim, "a", "b") is NodeStatus.ACTIVE
    sim.run_for(20)
    assert _status_of(sim, "a", "b") is NodeStatus.DEAD

    started = ClusterSim({"a": _with_keys(make_config("a"), 2), "b": configs["b"]})
    started.start("a")
    started.start("b")
    started.run_for(30)
    assert _status_of(started, "a", "b") is not NodeStatus.ACTIVE
