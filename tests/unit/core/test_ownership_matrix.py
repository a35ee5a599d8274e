"""auto_failback ``on``, ``off`` and ``legacy`` as three readings of one table.

Each row is a scenario (a start order, the loss of the owner, a hand-over), each mode a
column; the cell says where every group runs at the end. Every case also checks that no
group ever ran on two nodes and that both engines end STABLE. Then the negotiation tables
themselves (docs/ownership.md#negotiation-states): an illegal move is refused, and every
state is reachable, on paper and in a running cluster.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

import pytest

from pyhb.config.model import AutoFailback
from pyhb.core.events import MonitorFailure, RscHold, Shutdown, Standby
from pyhb.core.negotiation import (
    STANDBY_TRANSITIONS,
    TRANSITIONS,
    IllegalTransition,
    Machine,
    Phase,
    StandbyState,
)
from pyhb.core.ownership import Ownership
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"  # a's group
B_GROUP = "10.77.0.101/24/hb0"  # b's group
GROUPS = (("a", VIP), ("b", B_GROUP))
HOME = {VIP: "a", B_GROUP: "b"}
ALL_ON = {"a": {VIP: "a", B_GROUP: "a"}, "b": {VIP: "b", B_GROUP: "b"}}

ON, OFF, LEGACY = AutoFailback.ON, AutoFailback.OFF, AutoFailback.LEGACY

# scenario -> mode -> where each group runs at the end
TABLE: dict[str, dict[AutoFailback, Mapping[str, str]]] = {
    "together": {ON: HOME, OFF: HOME, LEGACY: HOME},
    "a first": {ON: HOME, OFF: ALL_ON["a"], LEGACY: HOME},
    "b first": {ON: HOME, OFF: ALL_ON["b"], LEGACY: HOME},
    "owner killed": {ON: ALL_ON["b"], OFF: ALL_ON["b"], LEGACY: ALL_ON["b"]},
    "owner killed, back": {ON: HOME, OFF: ALL_ON["b"], LEGACY: HOME},
    "hb_standby": {ON: ALL_ON["b"], OFF: ALL_ON["b"], LEGACY: HOME},  # legacy refuses
}


def _pair(mode: AutoFailback) -> ClusterSim:
    return ClusterSim({n: make_config(n, auto_failback=mode, groups=GROUPS) for n in "ab"})


def _start(sim: ClusterSim, order: str) -> None:
    if order == "together":
        sim.start("a")
        sim.start("b")
        return
    first, second = ("a", "b") if order == "a first" else ("b", "a")
    sim.start(first)
    sim.run_until(lambda: all(sim.owners(k) == [first] for k in HOME))  # after initdead
    sim.run_for(2)
    sim.start(second)


def _play(sim: ClusterSim, scenario: str) -> None:
    _start(sim, scenario if scenario.endswith("first") else "together")
    sim.run_for(12)
    if scenario.startswith("owner killed"):
        sim.kill("a")
        sim.nodes["a"].running.clear()  # a reboot: nothing of a's runs any more
        sim.run_for(8)
        if scenario.endswith("back"):
            sim.start("a")
    elif scenario == "hb_standby":
        refusal = sim.request("a", Standby(RscHold.ALL))
        assert (refusal is not None) is (sim.nodes["a"].config.ha.auto_failback is LEGACY)
    sim.run_for(20)


@pytest.mark.parametrize("mode", [ON, OFF, LEGACY], ids=str)
@pytest.mark.parametrize("scenario", list(TABLE))
def test_each_mode_reads_the_table(scenario: str, mode: AutoFailback) -> None:
    sim = _pair(mode)
    _play(sim, scenario)
    assert {k: sim.owners(k) for k in HOME} == {k: [n] for k, n in TABLE[scenario][mode].items()}
    for key in HOME:
        assert sim.max_owners(key) <= 1, key
    for node in sim.nodes.values():
        if node.engine is not None:
            assert node.engine.ownership.phase is Phase.STABLE
            assert not node.engine.ownership.standby.active()


def test_a_standby_called_off_while_our_set_is_stopping_ends_cleanly() -> None:
    """The peer dies while a hands its groups over (a's stop still runs): when the stop
    finishes, a tells the dead peer nothing and takes everything back, and its
    ``rscstatus`` is a word again, not ``transition`` for ever."""
    sim = _pair(ON)
    _start(sim, "together")
    sim.run_for(12)
    sim.script_times = {"a": 8.0}  # the stop outlives b's dead time
    assert sim.request("a", Standby(RscHold.ALL)) is None
    sim.run_for(0.5)
    sim.kill("b")
    sim.nodes["b"].running.clear()
    sim.run_for(40)
    a = sim.nodes["a"].engine
    assert a is not None
    assert {k: sim.owners(k) for k in HOME} == {VIP: ["a"], B_GROUP: ["a"]}
    assert a.ownership.standby.state is StandbyState.NOT
    assert a.snapshot().rscstatus == "all"


# -- the tables ------------------------------------------------------------------------


def _reachable(start: Phase | StandbyState, table: Mapping[Any, frozenset[Any]]) -> set[Any]:
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in table[todo.popleft()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_every_state_is_reachable_in_the_tables() -> None:
    assert _reachable(Phase.INIT, TRANSITIONS) == set(Phase)
    assert _reachable(StandbyState.NOT, STANDBY_TRANSITIONS) == set(StandbyState)
    assert set(TRANSITIONS) == set(Phase)
    assert set(STANDBY_TRANSITIONS) == set(StandbyState)


def test_an_illegal_move_is_refused_and_changes_nothing() -> None:
    own = Ownership("a", (), ON, lambda *_: None, lambda *_: 1, lambda *_: None)
    with pytest.raises(IllegalTransition, match="INIT -> RESUMING"):
        own.set_phase(Phase.RESUMING, "a stall before communication")
    assert own.phase is Phase.INIT
    standby = Machine("standby", StandbyState.NOT, STANDBY_TRANSITIONS)
    with pytest.raises(IllegalTransition, match="NOT -> DONE"):
        standby.move(StandbyState.DONE, "done without asking")
    assert standby.state is StandbyState.NOT
    done = Machine("ownership", Phase.SHUT_DOWN, TRANSITIONS)
    for phase in set(Phase) - {Phase.SHUT_DOWN}:
        with pytest.raises(IllegalTransition):
            done.move(phase, "after shutdone")


def test_a_move_is_logged_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    machine = Machine("ownership", Phase.INIT, TRANSITIONS)
    with caplog.at_level(logging.DEBUG, logger="pyhb.core.negotiation"):
        machine.move(Phase.STARTING, "communication up")
        machine.move(Phase.STARTING, "again: no move")
    assert [r.getMessage() for r in caplog.records] == [
        "ownership: INIT -> STARTING (communication up)"
    ]


def _moves(caplog: pytest.LogCaptureFixture) -> set[str]:
    return {r.getMessage().split(" (")[0] for r in caplog.records}


def test_every_phase_is_reached_by_a_running_cluster(caplog: pytest.LogCaptureFixture) -> None:
    """Start, a stall past deadtime while holding groups (a), and a shutdown asked while
    an operation runs (b) take the nodes through every phase."""
    caplog.set_level(logging.DEBUG, logger="pyhb.core.negotiation")
    sim = _pair(ON)
    _start(sim, "together")
    sim.run_for(12)
    sim.freeze("a")
    sim.run_for(6)
    sim.thaw("a")  # resumed: RESUMING until b's fresh statement
    sim.run_for(5)
    b = sim.nodes["b"].engine  # it kept serving: it holds both groups now
    assert b is not None
    assert sim.request("b", MonitorFailure(VIP, 0, False, "check failed")) is None  # busy
    sim.request("b", Shutdown())
    assert b.ownership.phase is Phase.SHUTDOWN_PENDING
    sim.run_until(lambda: sim.nodes["b"].exited)
    assert b.ownership.is_down
    sim.run_for(1)
    assert sim.owners(VIP) == sim.owners(B_GROUP) == ["a"]
    reached = {m.split(" -> ")[1] for m in _moves(caplog) if m.startswith("ownership:")}
    assert reached == {p.name for p in Phase} - {"INIT"}
    assert "ownership: STABLE -> RESUMING" in _moves(caplog)
