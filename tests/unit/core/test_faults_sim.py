"""Fault scenarios on simulated time: partitions, freezes, restarts and heavy loss.

Each asserts the cluster-wide invariant from the recorded script completions (at most one
node runs each group at any moment) as well as who ends up serving.
"""

from __future__ import annotations

import pytest

from pyhb.config.model import AutoFailback
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"


def pair(seed: int = 1, **kw: object) -> ClusterSim:
    return ClusterSim({n: make_config(n, **kw) for n in ("a", "b")}, seed=seed)  # type: ignore[arg-type]


def test_heal_keeps_the_group_on_the_node_that_served_it_not_its_preferred_node() -> None:
    """auto_failback off: b took a's group when a died and a came back without it. A
    partition makes a take it too; on heal a's copy (taken only because b went silent)
    is the one released, even though a is the group's preferred node."""
    sim = pair(auto_failback=AutoFailback.OFF)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.kill("a")
    sim.nodes["a"].running.clear()
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    sim.start("a")
    sim.run_for(15)
    assert sim.owners(VIP) == ["b"]
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: sim.owners(VIP) == ["a", "b"])
    sim.run_for(3)
    healed = sim.now
    sim.cut.clear()
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    b_log = [line for t, n, line in sim.history if n == "b" and t >= healed]
    assert not [line for line in b_log if "releasing" in line]
    sim.run_for(20)
    assert sim.owners(VIP) == ["b"]
    assert sim.max_owners(VIP, since=healed + 5) <= 1


def test_heal_keeps_the_original_owner_and_it_re_announces_after_the_loser_let_go() -> None:
    """Partition of the owner a; b takes over; heal: b releases, a keeps serving without
    a restart of its group, and re-announces the address once b no longer claims it."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    starts_a = len([1 for _, seen in sim.owners_seen if VIP in seen["a"]])
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: sim.owners(VIP) == ["a", "b"])
    healed = sim.now
    sim.cut.clear()
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    released = sim.now
    sim.run_for(5)
    assert sim.owners(VIP) == ["a"]
    assert "Resource groups held by both a and b" not in sim.log_text("a")
    assert "Resource groups held by both b and a" in sim.log_text("b")
    assert starts_a >= 1
    early = [t for t, n, _ in sim.announces if n == "a" and healed <= t < released]
    assert early, f"a did not announce before b released: {sim.announces}"
    late = [(t, keys) for t, n, keys in sim.announces if n == "a" and t >= released]
    assert late, f"a did not re-announce after b released: {sim.announces}"
    assert late[0][1] == (VIP,)
    assert not [1 for t, n, _ in sim.announces if n == "b" and t >= healed]


def test_after_a_heal_each_node_announces_only_the_groups_it_keeps() -> None:
    """Two groups, a preferred for one and b for the other; a partition makes both take
    everything. On the heal each keeps its preferred group and releases the other: no
    gratuitous ARP may be sent for a group the sender is releasing, or neighbours would
    follow the node about to drop the address."""
    vip2 = "10.77.0.101/24/hb0"
    groups = (("a", VIP), ("b", vip2))
    sim = ClusterSim({n: make_config(n, groups=groups) for n in ("a", "b")})
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"] and sim.owners(vip2) == ["b"])
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: sim.owners(VIP) == ["a", "b"] and sim.owners(vip2) == ["a", "b"])
    sim.run_for(3)
    healed = sim.now
    sim.cut.clear()
    sim.run_until(lambda: sim.owners(VIP) == ["a"] and sim.owners(vip2) == ["b"])
    sim.run_for(10)
    after = [(n, keys) for t, n, keys in sim.announces if t >= healed]
    assert after, "nobody re-announced after the heal"
    assert {k for n, keys in after if n == "a" for k in keys} == {VIP}
    assert {k for n, keys in after if n == "b" for k in keys} == {vip2}


def test_resumed_owner_uses_only_fresh_claims_and_the_keeper_re_announces() -> None:
    """a frozen past deadtime, b takes over; a resumes with a stale view of b (holding
    nothing). a must still yield within 2 keepalives, and only b re-announces."""
    sim = pair(keepalive=200, deadtime=1000, warntime=500, initdead=4000)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(2)
    sim.freeze("a")
    sim.run_until(lambda: sim.owners(VIP) == ["a", "b"])
    sim.run_for(1)
    resumed = sim.now
    sim.thaw("a")
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert took <= 2 * 0.2 + 0.05
    sim.run_for(10)
    assert sim.owners(VIP) == ["b"]
    assert [n for t, n, _ in sim.announces if t >= resumed] == ["b"]


def test_peer_restart_within_deadtime_is_a_restart_not_a_replay() -> None:
    """kill -9 of b and an immediate restart: the new generation is taken as a restart."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(3)
    sim.kill("b")
    sim.run_for(0.5)
    sim.start("b")
    sim.run_for(10)
    assert "Heartbeat restart on node b" in sim.log_text("a")
    assert "replay" not in sim.log_text("a")
    assert "node b: is dead" not in sim.log_text("a")
    assert sim.owners(VIP) == ["a"]


def run_lossy(seconds: float, loss: float, seed: int) -> ClusterSim:
    sim = pair(seed=seed, keepalive=200, deadtime=1000, warntime=500, initdead=4000)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(2)
    sim.loss = {("a", "b"): loss, ("b", "a"): loss}
    sim.run_for(seconds)
    return sim


def test_thirty_percent_loss_both_ways_causes_no_false_failover() -> None:
    """200 ms keepalive, 1 s deadtime, 30 % of every packet lost in each direction for
    5 simulated minutes: nobody is declared dead, the group never moves."""
    sim = run_lossy(300, 0.3, seed=7)
    for name in ("a", "b"):
        assert "is dead" not in sim.log_text(name), name
    assert sim.owners(VIP) == ["a"]
    assert sim.max_owners(VIP) == 1


def test_group_that_fails_to_start_is_handed_to_the_peer() -> None:
    """The start fails on a (rolled back there): b takes the group, a does not retry it."""
    sim = pair()
    sim.failing.add(("a", VIP))
    sim.start("a")
    sim.start("b")
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert took < 3.0
    sim.run_for(30)
    assert sim.owners(VIP) == ["b"]
    assert sim.max_owners(VIP) == 1
    a = sim.nodes["a"].engine
    assert a is not None
    assert a.ownership.errors[VIP] == "start failed"
    assert "failed to start here: handing it over to b" in sim.log_text("a")


def test_group_that_fails_everywhere_is_reported_not_bounced() -> None:
    """Failing on both nodes: one attempt each, then the group stays stopped, reported."""
    sim = pair()
    sim.failing |= {("a", VIP), ("b", VIP)}
    sim.start("a")
    sim.start("b")
    sim.run_for(40)
    assert sim.owners(VIP) == []
    handovers = sim.log_text("a").count("handing it over") + sim.log_text("b").count(
        "handing it over"
    )
    assert 1 <= handovers <= 2
    for name in ("a", "b"):
        eng = sim.nodes[name].engine
        assert eng is not None
        assert eng.ownership.errors.get(VIP) == "start failed"


def _stuck(sim: ClusterSim, node: str) -> None:
    """Every stop on ``node`` fails and the group keeps running there."""
    original = sim._run_groups

    def run_groups(n: object, ev: object) -> None:
        from pyhb.core.events import GroupAction, RunGroups

        assert isinstance(ev, RunGroups)
        if getattr(n, "name", None) == node and ev.action is GroupAction.GIVE:
            engine = sim.nodes[node].engine
            assert engine is not None

            def fail() -> None:
                engine.script_finished(ev.op_id, [g.key for g in ev.groups], sim.instant())
                sim._service(sim.nodes[node])

            sim.at(sim.now + sim.script_time, fail)
            return
        original(n, ev)  # type: ignore[arg-type]

    sim._run_groups = run_groups  # type: ignore[method-assign,assignment]


def test_standby_whose_stop_fails_is_called_off_and_the_peer_starts_nothing() -> None:
    from pyhb.core.events import RscHold, Standby

    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(2)
    _stuck(sim, "a")
    assert sim.request("a", Standby(RscHold.ALL)) is None
    sim.run_for(30)
    assert sim.owners(VIP) == ["a"]
    assert sim.max_owners(VIP) == 1
    assert "could not be stopped and stays here" in sim.log_text("a")


def test_shutdown_whose_stop_fails_is_called_off_and_the_peer_starts_nothing() -> None:
    from pyhb.core.events import Shutdown

    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(2)
    _stuck(sim, "a")
    assert sim.request("a", Shutdown()) is None
    sim.run_for(30)
    assert not sim.nodes["a"].exited
    assert sim.owners(VIP) == ["a"]
    assert sim.max_owners(VIP) == 1
    assert "Shutdown cancelled" in sim.log_text("a")


def test_shutdown_cancelled_by_one_stuck_group_starts_the_others_again() -> None:
    """a holds two groups; on shutdown one will not stop. The shutdown is called off and
    the group that did stop is started again on a, since b will not take it while a is
    up: both groups end running, each on exactly one node."""
    from pyhb.core.events import GroupAction, RunGroups, Shutdown

    vip2 = "10.77.0.101/24/hb0"
    groups = (("a", VIP), ("a", vip2))
    sim = ClusterSim({n: make_config(n, groups=groups) for n in ("a", "b")})
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"] and sim.owners(vip2) == ["a"])
    sim.run_for(2)
    original = sim._run_groups

    def run_groups(n: object, ev: object) -> None:
        assert isinstance(ev, RunGroups)
        if getattr(n, "name", None) == "a" and ev.action is GroupAction.GIVE:
            engine = sim.nodes["a"].engine
            assert engine is not None

            def partly() -> None:  # vip2 stops, VIP stays stuck
                sim.nodes["a"].running.discard(vip2)
                engine.script_finished(ev.op_id, [VIP], sim.instant())
                sim._service(sim.nodes["a"])

            sim.at(sim.now + sim.script_time, partly)
            return
        original(n, ev)  # type: ignore[arg-type]

    sim._run_groups = run_groups  # type: ignore[method-assign,assignment]
    assert sim.request("a", Shutdown()) is None
    sim.run_for(30)
    assert "Shutdown cancelled" in sim.log_text("a")
    assert sim.owners(VIP) == ["a"]
    assert sim.owners(vip2) == ["a"]


def test_lone_node_whose_start_fails_does_not_retry_in_a_loop() -> None:
    """Alone (the peer never came), a failing start is tried once and reported."""
    sim = pair()
    sim.failing.add(("b", VIP))
    sim.start("b")
    sim.run_for(60)
    assert sim.owners(VIP) == []
    assert sim.log_text("b").count("start failed") == 1
    b = sim.nodes["b"].engine
    assert b is not None
    assert b.snapshot().rscstatus not in ("all", "foreign")  # a's group is not claimed
    assert b.ownership.errors[VIP] == "start failed"


def _resume_without_peer_noticing(sim: ClusterSim, name: str, gap: float) -> None:
    """``name`` sees a scheduling gap of ``gap`` s that its peer never noticed."""
    from pyhb.clock import Instant

    eng = sim.nodes[name].engine
    assert eng is not None
    eng.handle_timer(Instant(sim.now + gap, sim.instant().wall + gap))
    sim.now += gap
    sim._service(sim.nodes[name])


@pytest.mark.parametrize("peer_answers", [True, False])
def test_resumed_node_asks_for_fresh_claims_and_keeps_what_nobody_else_took(
    peer_answers: bool,
) -> None:
    """a stalls past deadtime but b never declared it dead: a asks b for its claims
    (info=resumed). A pyhb peer answers at once; one that ignores the request, as 3.0.6
    does, leaves a acting on what it knew after RESUME_WAIT. Either way a keeps its group
    and becomes stable again."""
    from pyhb.core.ownership import RESUME_WAIT

    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(3)
    b = sim.nodes["b"].engine
    assert b is not None
    if not peer_answers:
        original = b.ownership.on_resource

        def deaf(*args: object, now: float) -> None:
            original(*args[:5], now=now)  # type: ignore[arg-type]

        b.ownership.on_resource = deaf  # type: ignore[method-assign]
    _resume_without_peer_noticing(sim, "a", 5.5)
    a = sim.nodes["a"].engine
    assert a is not None
    assert a.ownership.suspect
    took = sim.run_until(a.ownership.is_stable)
    assert took < (0.1 if peer_answers else RESUME_WAIT + 0.1)
    assert took > (0.0 if peer_answers else RESUME_WAIT - 0.1)
    sim.run_for(10)
    assert sim.owners(VIP) == ["a"]
    assert "node a: is dead" not in sim.log_text("b")
