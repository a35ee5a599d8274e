"""Resource monitoring's verdicts on simulated time: restart in place, hand-over to the
peer, and no taking back of a group that failed on a node until it is cleared."""

from __future__ import annotations

import dataclasses

import pytest

from pyhb.config.model import AutoFailback, ClusterConfig, ResourceRef
from pyhb.core.events import Cleanup, MonitorFailure, RscHold, Shutdown, Standby, Takeover
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"
SVC = ResourceRef("tsvc", ("one",), "tsvc::one")
SVC2 = ResourceRef("tsvc", ("two",), "tsvc::two")


def _config(node: str, mode: AutoFailback) -> ClusterConfig:
    cfg = make_config(node, auto_failback=mode)
    group = cfg.groups[0]
    group = dataclasses.replace(group, resources=(*group.resources, SVC, SVC2))
    return dataclasses.replace(cfg, groups=(group,))


def _pair(mode: AutoFailback = AutoFailback.ON) -> ClusterSim:
    sim = ClusterSim({n: _config(n, mode) for n in ("a", "b")})
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(3)
    return sim


def _state(sim: ClusterSim, node: str) -> str:
    engine = sim.nodes[node].engine
    assert engine is not None
    return engine.ownership.state[VIP]


def test_a_failure_restarts_the_resource_and_those_after_it_in_place() -> None:
    sim = _pair()
    assert sim.request("a", MonitorFailure(VIP, 1, False, "tsvc::one: not running")) is None
    assert _state(sim, "a") == "restarting"
    sim.run_for(1)
    assert sim.restarts == [("a", VIP, ("tsvc::one", "tsvc::two"))]
    assert _state(sim, "a") == "running"
    assert sim.owners(VIP) == ["a"]
    log = sim.log_text("a")
    assert "Resource group 10.77.0.100/24/hb0: tsvc::one: not running; restarting" in log
    assert "restart completed" in log


@pytest.mark.parametrize("mode", [AutoFailback.ON, AutoFailback.OFF, AutoFailback.LEGACY])
def test_a_move_hands_the_group_to_the_peer_which_keeps_it(mode: AutoFailback) -> None:
    sim = _pair(mode)
    assert sim.request("a", MonitorFailure(VIP, 1, True, "tsvc::one failed")) is None
    sim.run_until(lambda: sim.owners(VIP) == ["b"], limit=15)
    sim.run_for(60)  # no failback, whatever auto_failback says
    assert sim.owners(VIP) == ["b"]
    assert sim.restarts == []
    assert "handing it over to b" in sim.log_text("a")
    engine = sim.nodes["a"].engine
    assert engine is not None
    assert engine.snapshot().groups[0].error == "monitor: failed here"


@pytest.mark.parametrize("mode", [AutoFailback.ON, AutoFailback.LEGACY])
def test_a_failed_group_is_not_taken_back_when_the_peer_stops(mode: AutoFailback) -> None:
    sim = _pair(mode)
    sim.request("a", MonitorFailure(VIP, 1, True, "tsvc::one failed"))
    sim.run_until(lambda: sim.owners(VIP) == ["b"], limit=15)
    sim.request("b", Shutdown())
    sim.run_for(20)
    assert sim.owners(VIP) == []
    assert "failed on this node: not taken" in sim.log_text("a")
    # The operator clears it: a takes it at once (b is gone).
    assert sim.request("a", Cleanup(VIP)) is None
    sim.run_until(lambda: sim.owners(VIP) == ["a"], limit=5)


@pytest.mark.parametrize(
    ("mode", "after"),
    [(AutoFailback.ON, ["a"]), (AutoFailback.LEGACY, ["a"]), (AutoFailback.OFF, ["b"])],
)
def test_cleanup_lets_auto_failback_bring_the_group_home(
    mode: AutoFailback, after: list[str]
) -> None:
    sim = _pair(mode)
    sim.request("a", MonitorFailure(VIP, 1, True, "tsvc::one failed"))
    sim.run_until(lambda: sim.owners(VIP) == ["b"], limit=15)
    sim.run_for(10)
    assert sim.request("a", Cleanup()) is None
    sim.run_for(15)
    assert sim.owners(VIP) == after
    engine = sim.nodes["a"].engine
    assert engine is not None
    assert engine.ownership.banned == set()
    assert f"Cleanup: failures of {VIP} cleared" in sim.log_text("a")


def test_hb_takeover_clears_the_failure_and_takes_the_group() -> None:
    sim = _pair(AutoFailback.OFF)
    sim.request("a", MonitorFailure(VIP, 1, True, "tsvc::one failed"))
    sim.run_until(lambda: sim.owners(VIP) == ["b"], limit=15)
    assert sim.request("a", Takeover(RscHold.LOCAL)) is None
    sim.run_until(lambda: sim.owners(VIP) == ["a"], limit=15)


def test_with_no_active_peer_the_group_stays_and_is_restarted() -> None:
    sim = ClusterSim({n: _config(n, AutoFailback.ON) for n in ("a", "b")})
    sim.start("a")
    sim.run_until(lambda: sim.owners(VIP) == ["a"], limit=20)
    assert sim.request("a", MonitorFailure(VIP, 2, True, "tsvc::two failed")) is None
    sim.run_for(1)
    assert sim.owners(VIP) == ["a"]
    assert sim.restarts == [("a", VIP, ("tsvc::two",))]
    assert "cannot be handed over (no other node is active)" in sim.log_text("a")


def test_failures_are_refused_for_groups_not_running_here_or_in_transition() -> None:
    sim = _pair()
    assert sim.request("b", MonitorFailure(VIP, 0, False, "x")) == (
        f"resource group {VIP} is not running here"
    )
    sim.request("a", MonitorFailure(VIP, 1, False, "x"))
    assert sim.request("a", MonitorFailure(VIP, 1, False, "x")) == (
        f"resource group {VIP} is not running here"
    )
    assert sim.request("a", Cleanup("nope")) == f"no resource group 'nope' (groups: {VIP})"


def test_a_failed_restart_keeps_the_group_here_and_says_so() -> None:
    sim = _pair()
    sim.failing.add(("a", VIP))
    sim.request("a", MonitorFailure(VIP, 1, False, "tsvc::one failed"))
    sim.run_for(1)
    engine = sim.nodes["a"].engine
    assert engine is not None
    assert _state(sim, "a") == "running"
    assert engine.snapshot().groups[0].error == "monitor: restart failed"
    assert "restart failed" in sim.log_text("a")


def test_legacy_hand_over_right_after_the_take_is_not_asked_back() -> None:
    """The group fails while its ip-request is still to be confirmed: that request is
    dropped, so the peer is not asked to give the group straight back."""
    sim = ClusterSim({n: _config(n, AutoFailback.LEGACY) for n in ("a", "b")})
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    engine = sim.nodes["a"].engine
    assert engine is not None
    assert VIP in engine.ownership.legacy.wanted  # its weown=no is checked once more
    assert sim.request("a", MonitorFailure(VIP, 1, True, "tsvc::one failed")) is None
    sim.run_until(lambda: sim.owners(VIP) == ["b"], limit=15)
    sim.run_for(20)
    assert sim.owners(VIP) == ["b"]


def test_the_peers_offer_of_a_failed_group_is_declined_and_it_keeps_it() -> None:
    """auto_failback on: b armed to fail the group back (a restarted, say) offers it with
    a standby; a declines while the group failed there, and b keeps running it."""
    sim = _pair(AutoFailback.ON)
    sim.request("a", MonitorFailure(VIP, 1, True, "tsvc::one failed"))
    sim.run_until(lambda: sim.owners(VIP) == ["b"], limit=15)
    sim.run_for(2)
    assert sim.request("b", Standby(RscHold.FOREIGN)) is None
    sim.run_for(30)
    assert sim.owners(VIP) == ["b"]
    assert f"standby message [me] from b declined: {VIP} failed on this node" in sim.log_text("a")
