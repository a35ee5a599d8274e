"""The receive path's one table of message types (``core.handlers.ROUTES``): each type is
acted on only in the states its route declares, whoever the handler is; and the engine's
one rule for a peer's death (``Peer.dead_deadline``) is the one its timer follows."""

from __future__ import annotations

import inspect

import pytest

from pyhb.clock import Instant
from pyhb.core import handlers
from pyhb.core.engine import Engine
from pyhb.core.handlers import NOT_FOR_CLIENTS, ROUTES, Comm, Handlers
from pyhb.core.peers import Peer
from pyhb.core.standby import Standby
from tests.helpers.sim import WALL0, make_config

ADDR = ("10.77.0.2", 694)


def _engine(name: str, t: float) -> Engine:
    return Engine(
        make_config(name), uuid=name.encode() * 16, generation=1, now=_at(t), rand=lambda: 0.5
    )


def _at(t: float) -> Instant:
    return Instant(t, WALL0 + t)


def _deliver(src: Engine, dst: Engine, t: float) -> None:
    for data in src.datagrams_to_send(_at(t)):
        dst.receive_datagram(data, "hb0", ADDR, _at(t))


def _pair() -> tuple[Engine, Engine]:
    """a has heard b (its statuses) but its communication is not up yet (initdead)."""
    a, b = _engine("a", 0.0), _engine("b", 0.0)
    _deliver(b, a, 0.1)
    a.datagrams_to_send(_at(0.1))
    assert not a.comm_up
    return a, b


def _handler_methods() -> dict[str, object]:
    return {
        name: fn
        for name, fn in inspect.getmembers(Handlers, inspect.isfunction)
        if list(inspect.signature(fn).parameters) == ["self", "peer", "msg", "at"]
    }


def test_every_message_type_the_handlers_know_has_one_route() -> None:
    routed = {route.handle.__name__ for route in ROUTES.values()}
    assert routed == set(_handler_methods())
    assert ROUTES["status"].from_dead  # a dead peer speaks again with a status first
    assert all(r.from_dead and not r.for_clients for k, r in ROUTES.items() if k[:3] == "NS_")
    assert {"status", "reqnodes", "repnodes"} <= NOT_FOR_CLIENTS
    assert "resource" not in NOT_FOR_CLIENTS


def test_the_handlers_leave_our_communication_state_to_the_routes() -> None:
    """No handler asks whether communication is up: its route says when it runs."""
    for name, fn in _handler_methods().items():
        assert "comm_up" not in inspect.getsource(fn), name  # type: ignore[arg-type]


@pytest.mark.parametrize("mtype", sorted(k for k, r in ROUTES.items() if r.comm is Comm.UP))
def test_a_type_for_communication_up_is_ignored_before_it(
    mtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    called: list[str] = []
    route = ROUTES[mtype]
    monkeypatch.setitem(ROUTES, mtype, handlers.Route(lambda *a: called.append(mtype), route.comm))
    a, b = _pair()
    b.send(mtype, [("rsc_hold", "all"), ("info", "me"), ("ipaddr", "x")], dest="a")
    _deliver(b, a, 0.2)
    assert called == []
    a.go_active()
    b.send(mtype, [("rsc_hold", "all"), ("info", "me"), ("ipaddr", "x")], dest="a")
    _deliver(b, a, 0.3)
    assert called == [mtype]


def test_ask_resources_reaches_the_ownership_only_once_communication_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[str, str, str]] = []
    monkeypatch.setattr(Standby, "on_ask_resources", lambda self, *args: asked.append(args[:3]))
    a, b = _pair()
    b.send("ask_resources", [("rsc_hold", "all"), ("info", "me")])
    _deliver(b, a, 0.2)
    assert asked == []
    a.go_active()
    b.send("ask_resources", [("rsc_hold", "all"), ("info", "me")])
    _deliver(b, a, 0.3)
    assert asked == [("b", "all", "me")]


def test_repnodes_brings_communication_up_only_once() -> None:
    a, b = _pair()
    b.send("repnodes", [("nodelist", "a b "), ("delnodelist", " ")], dest="a")
    _deliver(b, a, 0.2)
    assert a.comm_up
    b.send("repnodes", [("nodelist", "a b "), ("delnodelist", " ")], dest="a")
    _deliver(b, a, 0.3)
    lines = []
    while (ev := a.next_event()) is not None:
        lines.append(getattr(ev, "text", ""))
    assert lines.count("Comm_now_up(): updating status to active") == 1


def test_the_timer_follows_the_one_rule_for_a_peers_death(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _ = _pair()
    monkeypatch.setattr(Peer, "dead_deadline", lambda self, *args: 0.15)
    assert a.get_timer() == 0.15
