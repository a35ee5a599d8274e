"""auto_failback legacy (Heartbeat's default) on simulated time: the ip-request protocol.

Every scenario checks the two promises of the mode: a group never runs on both nodes
while they can talk to each other, and once things settle it runs on exactly one node,
its haresources node whenever that node is up.
"""

from __future__ import annotations

import pytest

from pyhb.config.model import AutoFailback
from pyhb.core.events import RscHold, Shutdown, Standby, Takeover
from pyhb.wire.message import decode
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"
A_GROUP = "10.77.0.102/24/hb0"  # a second group of a's: requests come in pairs
B_GROUP = "10.77.0.101/24/hb0"
GROUPS = (("a", VIP), ("a", A_GROUP), ("b", B_GROUP))
HOME = {VIP: "a", A_GROUP: "a", B_GROUP: "b"}


@pytest.fixture(autouse=True, params=["prompt", "lazy"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every scenario runs with datagrams read as they come and at the node's timer."""
    monkeypatch.setattr(ClusterSim, "LAZY", request.param == "lazy")
    return str(request.param)


@pytest.fixture(autouse=True, params=[0.01, 0.8])
def script_time(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> float:
    """Resource scripts that finish at once, and ones as slow as IPaddr on a busy host
    (so requests and answers arrive while the node is still starting or stopping)."""
    monkeypatch.setattr(ClusterSim, "SCRIPT_TIME", request.param, raising=False)
    return float(request.param)


def legacy_pair(*, groups: tuple[tuple[str, str], ...] = GROUPS, seed: int = 1) -> ClusterSim:
    configs = {
        n: make_config(n, auto_failback=AutoFailback.LEGACY, groups=groups) for n in ("a", "b")
    }
    sim = ClusterSim(configs, seed=seed)
    sim.script_time = getattr(ClusterSim, "SCRIPT_TIME", sim.script_time)
    return sim


def home(sim: ClusterSim, up: tuple[str, ...] = ("a", "b")) -> bool:
    """Every group runs on exactly one node: its own when that node is ``up``."""
    for key, node in HOME.items():
        owners = sim.owners(key)
        if len(owners) != 1 or (node in up and owners != [node]):
            return False
    return True


def never_two_owners(sim: ClusterSim, since: float = 0.0) -> None:
    for t, seen in sim.owners_seen:
        if t >= since:
            for key in HOME:
                holders = [n for n, r in seen.items() if key in r]
                assert len(holders) <= 1, f"{key} on {holders} at {t}"


def settle(sim: ClusterSim, limit: float = 10.0, up: tuple[str, ...] = ("a", "b")) -> float:
    """Every group ends at home within ``limit`` seconds and stays there 20 s."""
    took = sim.run_until(lambda: home(sim, up), limit=limit)
    sim.run_for(20)
    assert home(sim, up), {k: sim.owners(k) for k in HOME}
    return took


def stayed_home(sim: ClusterSim) -> None:
    """From the first start on, every group ran at home alone: nothing ever moved."""
    for t, seen in sim.owners_seen:
        for key, node in HOME.items():
            holders = [n for n, r in seen.items() if key in r]
            assert holders in ([], [node]), f"{key} on {holders} at {t}"


def wire_types(sim: ClusterSim, node: str) -> list[str]:
    return [decode(d).message.type or "" for _, n, d in sim.wire if n == node]


@pytest.mark.parametrize("gap", [0.0, 0.3, 1.0, 2.5, 5.0])
@pytest.mark.parametrize("first", ["a", "b"])
def test_started_together_each_group_goes_to_its_node(first: str, gap: float) -> None:
    """Both started within initdead, either first: every group runs on its haresources
    node a few seconds after the second start, and never anywhere else."""
    sim = legacy_pair()
    second = "b" if first == "a" else "a"
    sim.start(first)
    sim.run_for(gap)
    sim.start(second)
    assert settle(sim, limit=5) < 5
    stayed_home(sim)
    assert "ip-request" in wire_types(sim, "a")
    # No nice_failback traffic in legacy mode, as 3.0.6.
    sent = set(wire_types(sim, "a") + wire_types(sim, "b"))
    assert not {"starting", "resource", "ask_resources"} & sent


@pytest.mark.parametrize("late", ["a", "b"])
def test_a_node_joining_late_gets_its_groups_back(late: str) -> None:
    """One node alone takes everything after initdead; the other joins: the groups of
    the joining node are stopped on the first, then started on the joining one (3.0.6:
    legacy groups always go back to their node when it joins); the rest stay put."""
    sim = legacy_pair()
    alone = "b" if late == "a" else "a"
    sim.start(alone)
    sim.run_until(lambda: all(sim.owners(k) == [alone] for k in HOME))
    sim.run_for(3)
    sim.start(late)
    assert settle(sim) < 2 + 3 * sim.script_time * 2
    never_two_owners(sim)
    for key, node in HOME.items():
        if node == alone:  # never stopped
            assert all(key in seen[alone] for t, seen in sim.owners_seen if t > 100 + 10.5)


@pytest.mark.parametrize("how", ["kill", "shutdown"])
@pytest.mark.parametrize("lost", ["a", "b"])
def test_a_node_lost_and_back(lost: str, how: str) -> None:
    """Either node dies (or stops): the other takes its groups; it returns (after a
    reboot): its groups go back to it."""
    sim = legacy_pair()
    other = "b" if lost == "a" else "a"
    sim.start("a")
    sim.start("b")
    settle(sim, limit=5)
    if how == "kill":
        sim.kill(lost)
        sim.nodes[lost].running.clear()  # a reboot
        took = sim.run_until(lambda: home(sim, up=(other,)))
        assert took <= 5.0 + 3 * sim.script_time + 0.1
    else:
        assert sim.request(lost, Shutdown()) is None
        took = sim.run_until(lambda: home(sim, up=(other,)) and sim.nodes[lost].exited)
        assert took < 6 * sim.script_time + 0.1
    sim.run_for(3)
    sim.start(lost)
    assert settle(sim) < 2 + 6 * sim.script_time
    never_two_owners(sim)


@pytest.mark.parametrize("node", ["a", "b"])
def test_quick_restart_keeps_one_owner(node: str) -> None:
    """A node restarts faster than deadtime (its peer never declares it dead), its
    groups still running: every group stays at home, on one node."""
    sim = legacy_pair()
    sim.start("a")
    sim.start("b")
    settle(sim, limit=5)
    sim.kill(node)
    sim.run_for(0.5)
    sim.start(node)
    settle(sim)
    never_two_owners(sim)


def test_standby_and_takeover_are_refused_and_change_nothing() -> None:
    """hb_standby is not part of legacy mode (3.0.6 ignores it): nothing moves."""
    sim = legacy_pair()
    sim.start("a")
    sim.start("b")
    settle(sim, limit=5)
    refusal = sim.request("a", Standby(RscHold.ALL))
    assert refusal is not None
    assert "auto_failback" in refusal
    sim.request("b", Takeover(RscHold.ALL))
    sim.run_for(15)
    stayed_home(sim)
    assert home(sim)


def test_healed_partition_gives_each_group_back_to_its_node() -> None:
    sim = legacy_pair()
    sim.start("a")
    sim.start("b")
    settle(sim, limit=5)
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: all(sim.owners(k) == ["a", "b"] for k in HOME))
    sim.cut.clear()
    healed = sim.now
    assert settle(sim, limit=5) < 3 + 3 * sim.script_time
    never_two_owners(sim, since=healed + 3 + 3 * sim.script_time)
    assert "returning after partition" in sim.log_text("a")


def test_resumed_frozen_node_keeps_its_groups_and_the_other_lets_go() -> None:
    sim = legacy_pair()
    sim.start("a")
    sim.start("b")
    settle(sim, limit=5)
    sim.freeze("a")
    sim.run_until(lambda: sim.owners(VIP) == ["a", "b"])
    sim.run_for(2)
    sim.thaw("a")
    assert settle(sim) < 3 + 3 * sim.script_time


@pytest.mark.parametrize("seed", range(6))
def test_lost_requests_and_answers_are_asked_again(seed: int) -> None:
    """Half the packets between the nodes lost while a joins b: a still ends up with its
    groups (a request is repeated until the holder answered), and only a."""
    sim = legacy_pair(seed=seed)
    sim.start("b")
    sim.run_until(lambda: all(sim.owners(k) == ["b"] for k in HOME))
    sim.loss = {("a", "b"): 0.5, ("b", "a"): 0.5}
    sim.start("a")
    sim.run_for(6)
    sim.loss = {}
    settle(sim, limit=15)
    never_two_owners(sim)


def test_a_request_arriving_during_a_takeover_is_served_after_it() -> None:
    """b is still starting a's groups (slow scripts) when a's requests come: b
    finishes, then releases them to a; no request is dropped."""
    sim = legacy_pair()
    sim.script_times = {"a": 0.01, "b": 3.0}
    sim.start("b")
    sim.run_until(lambda: bool(sim.nodes["b"].engine and sim.nodes["b"].engine.ownership.busy))
    sim.start("a")
    settle(sim, limit=30)
    never_two_owners(sim)


def test_a_peer_granting_its_own_group_to_itself_makes_the_holder_stop_its_copy() -> None:
    """A Heartbeat 3.0.6 node that counted no other active node when its communication
    came up sends ``ip-request-resp`` to itself and starts its group without asking.
    The node holding that group stops its copy, and answers nothing (nobody asked)."""
    sim = legacy_pair()
    sim.start("b")
    sim.run_until(lambda: all(sim.owners(k) == ["b"] for k in HOME))
    sim.start("a")
    a = sim.nodes["a"].engine
    assert a is not None
    a.ownership.legacy.ask = lambda keys, now: None  # like 3.0.6 here: it does not ask
    sim.run_until(lambda: a.comm_up)
    a.send("ip-request-resp", [("ipaddr", VIP), ("weown", "yes"), ("ok", "OK")], dest="a")
    sim._service(sim.nodes["a"])
    sim.run_for(10)
    assert sim.owners(VIP) == []  # b stopped it; this simulated a does not start it
    assert sim.owners(A_GROUP) == ["b"]  # not granted: b keeps it
    assert "ip-request-resp" not in wire_types(sim, "b")
    assert "a takes resource group 10.77.0.100/24/hb0 without asking" in sim.log_text("b")
