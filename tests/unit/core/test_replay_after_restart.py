"""A recording of a dead peer's packets, replayed after our own restart: with the marks
of the previous run (``core.replayfloor``) it is a replay and the peer stays dead; without
them (Heartbeat 3.0.6's behaviour, and pyhb's without a state directory) it comes back."""

from __future__ import annotations

import pytest

from pyhb.core import replayfloor
from pyhb.core.engine import Engine
from pyhb.core.events import NodeStatus
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"


def _engine(sim: ClusterSim, name: str) -> Engine:
    engine = sim.nodes[name].engine
    assert engine is not None
    return engine


@pytest.mark.parametrize("remembered", [True, False])
def test_a_replayed_recording_of_a_dead_peer_after_our_restart(remembered: bool) -> None:
    sim = ClusterSim({n: make_config(n) for n in ("a", "b")}, seed=3)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(20)
    recording = [(t, data) for t, src, data in sim.wire if src == "b"]
    sim.kill("b")
    sim.run_until(lambda: _engine(sim, "a").peers.peers["b"].status is NodeStatus.DEAD)
    marks = replayfloor.collect(_engine(sim, "a").peers)  # what the daemon writes now
    assert marks["b"][0] == sim.nodes["b"].generation
    sim.kill("a")
    sim.run_for(1)
    sim.start("a")
    replayfloor.apply(_engine(sim, "a").peers, marks if remembered else {})
    first, base = recording[0][0], sim.now
    for t, data in recording:  # the whole recording, at its own pace
        sim.at(base + t - first, lambda d=data: sim._transmit("b", d))
    sim.run_for(recording[-1][0] - first + 0.5)
    b = _engine(sim, "a").peers.peers["b"]
    if remembered:
        assert not b.heard
        assert b.status is not NodeStatus.ACTIVE
        assert all(link.last_heard is None for link in b.links.values())
        assert "attempted replay attack [b]" in sim.log_text("a")
    else:
        assert b.status is NodeStatus.ACTIVE  # the gap the marks close
    assert sim.owners(VIP) == ["a"]


def test_a_live_peer_is_heard_after_our_restart_whatever_its_mark() -> None:
    """The peer kept running: its next packets are above the mark and count at once."""
    sim = ClusterSim({n: make_config(n) for n in ("a", "b")}, seed=4)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(5)
    marks = replayfloor.collect(_engine(sim, "a").peers)
    sim.kill("a")
    sim.run_for(0.5)
    sim.start("a")
    replayfloor.apply(_engine(sim, "a").peers, marks)
    sim.run_for(3)
    assert _engine(sim, "a").peers.peers["b"].status is NodeStatus.ACTIVE
    assert "replay" not in sim.log_text("a")


def test_marks_are_the_newest_accepted_or_the_floor_if_higher() -> None:
    sim = ClusterSim({n: make_config(n) for n in ("a", "b")}, seed=5)
    sim.start("a")
    sim.start("b")
    sim.run_for(5)
    table = _engine(sim, "a").peers
    tracker = table.peers["b"].tracker
    assert tracker.generation is not None
    assert replayfloor.collect(table) == {"b": (tracker.generation, tracker.last)}
    replayfloor.apply(table, {"b": (tracker.generation + 1, 7), "nobody": (1, 1)})
    assert replayfloor.collect(table) == {"b": (tracker.generation + 1, 7)}
