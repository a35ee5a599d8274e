"""A node asking for the node list (``reqnodes``) hears our status before our answer.

A Heartbeat 3.0.6 node's communication comes up with the answer, and in legacy mode it
then counts the nodes it knows to be active: counting none, it takes its groups without
asking for them, though we may hold them (docs/ownership.md)."""

from __future__ import annotations

from pyhb.clock import Instant
from pyhb.core.engine import Engine
from pyhb.wire.message import decode
from tests.helpers.sim import WALL0, make_config


def _engine(name: str, t: float) -> Engine:
    return Engine(make_config(name), uuid=name.encode() * 16, generation=7,
                  now=Instant(t, WALL0 + t), rand=lambda: 0.5)  # fmt: skip


def _types(datagrams: list[bytes]) -> list[str]:
    return [decode(d).message.type or "" for d in datagrams]


def test_our_status_goes_out_just_before_the_node_list() -> None:
    t = 100.0
    a, b = _engine("a", t), _engine("b", t)
    now = Instant(t, WALL0 + t)
    a.handle_timer(now)
    b.handle_timer(now)
    b.datagrams_to_send(now)
    for data in a.datagrams_to_send(now):  # a's first statuses: b knows it is up
        b.receive_datagram(data, "hb0", ("10.77.0.1", 694), now)
    b.datagrams_to_send(now)
    t += 0.05  # well before b's next keepalive
    now = Instant(t, WALL0 + t)
    a.send("reqnodes", [], dest="b")
    for data in a.datagrams_to_send(now):
        b.receive_datagram(data, "hb0", ("10.77.0.1", 694), now)
    sent = [t for t in _types(b.datagrams_to_send(now)) if t != "NS_ackmsg"]
    assert sent == ["status", "repnodes"]
