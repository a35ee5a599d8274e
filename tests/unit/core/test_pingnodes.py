"""Ping nodes in the engine: status init -> ping -> dead -> ping, their timers, logs,
events, their place in cl_status's listing and in the communication-up rule."""

from __future__ import annotations

import dataclasses
import logging

from pyhb.clock import Instant
from pyhb.config.model import ClusterConfig, PingNode
from pyhb.core.engine import Engine
from pyhb.core.events import (
    Event,
    LinkStatus,
    LogLine,
    NodeStatus,
    PeerStateChanged,
    RunGroups,
)
from pyhb.core.pingnodes import NodeInfo
from tests.helpers.sim import make_config

T0 = 1000.0
PINGS = (
    PingNode("10.0.0.254", ("10.0.0.254",), 7),
    PingNode("routers", ("10.0.0.1", "10.0.0.2"), 8),
)


def config(nodes: tuple[str, ...] = ("a",), deadping: int = 3000) -> ClusterConfig:
    cfg = make_config("a", nodes, keepalive=500, deadtime=2000, warntime=1000, initdead=6000)
    ha = dataclasses.replace(cfg.ha, deadping=deadping, ping_nodes=PINGS)
    return dataclasses.replace(cfg, ha=ha)


def at(t: float) -> Instant:
    return Instant(T0 + t, 1_700_000_000.0 + t)


def drain(engine: Engine) -> list[Event]:
    out = []
    while (ev := engine.next_event()) is not None:
        out.append(ev)
    return out


def logs(events: list[Event]) -> list[tuple[int, str]]:
    return [(e.level, e.text) for e in events if isinstance(e, LogLine)]


def status(engine: Engine, name: str) -> NodeStatus:
    (view,) = [n for n in engine.snapshot().nodes if n.name == name]
    return view.status


def run_timer_until(engine: Engine, end: float) -> list[Event]:
    """Fire the engine's timer at each deadline it asks for, up to ``end`` seconds."""
    events: list[Event] = []
    while True:
        due = engine.get_timer()
        assert due is not None
        if due > T0 + end:
            return events
        engine.handle_timer(at(due - T0))
        engine.datagrams_to_send(at(due - T0))
        events += drain(engine)


def started(nodes: tuple[str, ...] = ("a",)) -> Engine:
    engine = Engine(config(nodes), uuid=b"a" * 16, generation=1, now=at(0), rand=lambda: 0.5)
    drain(engine)
    return engine


def test_a_ping_node_starts_init_and_becomes_ping_on_its_first_reply() -> None:
    engine = started()
    assert status(engine, "10.0.0.254") is NodeStatus.INIT
    engine.ping_reply("10.0.0.254", at(0.2))
    events = drain(engine)
    assert status(engine, "10.0.0.254") is NodeStatus.PING
    assert (logging.INFO, "Link 10.0.0.254:10.0.0.254 up.") in logs(events)
    assert (logging.INFO, "Status update for node 10.0.0.254: status ping") in logs(events)
    assert PeerStateChanged("10.0.0.254", NodeStatus.INIT, NodeStatus.PING) in events


def test_a_ping_node_is_dead_deadping_after_its_last_reply_and_comes_back() -> None:
    engine = started()
    for t in (0.1, 0.6, 1.1):
        engine.ping_reply("10.0.0.254", at(t))
        engine.ping_reply("routers", at(t))
    drain(engine)
    assert engine.get_timer() is not None
    events = run_timer_until(engine, 4.09)
    assert status(engine, "10.0.0.254") is NodeStatus.PING
    events = run_timer_until(engine, 4.11)
    assert status(engine, "10.0.0.254") is NodeStatus.DEAD
    assert logs(events)[:2] == [
        (logging.WARNING, "node 10.0.0.254: is dead"),
        (logging.INFO, "Link 10.0.0.254:10.0.0.254 dead."),
    ]
    assert PeerStateChanged("10.0.0.254", NodeStatus.PING, NodeStatus.DEAD) in events
    run_timer_until(engine, 9.0)
    engine.ping_reply("10.0.0.254", at(9.25))
    events = drain(engine)
    assert status(engine, "10.0.0.254") is NodeStatus.PING
    assert (logging.CRITICAL, "Late heartbeat: Node 10.0.0.254: interval 8150 ms (> deadtime)") in (
        logs(events)
    )


def test_a_group_answers_through_any_address_and_its_link_has_the_group_name() -> None:
    engine = started()
    engine.ping_reply("routers", at(0.1))
    (view,) = [n for n in engine.snapshot().nodes if n.name == "routers"]
    assert (view.type, view.status) == ("ping", NodeStatus.PING)
    assert [(li.name, li.status) for li in view.links] == [("routers", LinkStatus.UP)]


def test_a_ping_node_that_never_answers_is_dead_at_initdead_and_holds_comm_up_till_then() -> None:
    engine = started()
    engine.ping_reply("routers", at(0.1))
    run_timer_until(engine, 5.9)
    assert not engine.comm_up
    assert status(engine, "10.0.0.254") is NodeStatus.INIT
    events = run_timer_until(engine, 6.1)
    assert status(engine, "10.0.0.254") is NodeStatus.DEAD
    assert (logging.WARNING, "node 10.0.0.254: is dead") in logs(events)
    assert engine.comm_up


def test_comm_up_comes_with_the_last_ping_node_heard() -> None:
    engine = started()
    engine.ping_reply("routers", at(0.1))
    run_timer_until(engine, 1.0)
    assert not engine.comm_up
    engine.ping_reply("10.0.0.254", at(1.2))
    assert engine.comm_up


def test_a_dead_ping_node_moves_no_resources() -> None:
    engine = started()
    engine.ping_reply("10.0.0.254", at(0.1))
    engine.ping_reply("routers", at(0.1))
    events = run_timer_until(engine, 30.0)
    assert status(engine, "10.0.0.254") is NodeStatus.DEAD
    gives = [e for e in events if isinstance(e, RunGroups) and e.action.value == "givegroup"]
    assert gives == []


def test_listing_puts_ping_nodes_first_in_reverse_order_and_nodes_info_types_them() -> None:
    engine = started(("a", "b"))
    assert [n.name for n in engine.snapshot().nodes] == ["routers", "10.0.0.254", "b", "a"]
    assert [n.type for n in engine.snapshot().nodes] == ["ping", "ping", "normal", "normal"]
    assert engine.nodes_info() == (
        NodeInfo("b", "normal", NodeStatus.INIT),
        NodeInfo("10.0.0.254", "ping", NodeStatus.INIT),
        NodeInfo("routers", "ping", NodeStatus.INIT),
        NodeInfo("a", "normal", NodeStatus.UP),
    )


def test_a_reply_for_an_unknown_name_changes_nothing() -> None:
    engine = started()
    engine.ping_reply("10.9.9.9", at(0.1))
    assert drain(engine) == []
