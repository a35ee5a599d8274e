"""The engine's part in the client API: peers' messages for clients come out as
``ClusterMessage`` events; clients' messages go out with 3.0.6's trailer, their own
fields in place (docs/api.md)."""

from __future__ import annotations

from pyhb.clock import Instant
from pyhb.core.engine import Engine
from pyhb.core.events import ClusterMessage
from pyhb.wire.auth import Verifier
from tests.helpers.sim import WALL0, make_config


def _engine(name: str, uuid: bytes) -> Engine:
    return Engine(make_config(name), uuid=uuid, generation=7, now=Instant(100.0, WALL0 + 100),
                  rand=lambda: 0.5)  # fmt: skip


def _exchange(a: Engine, b: Engine, t: float) -> list[ClusterMessage]:
    """Run both for a while, b's datagrams going to a; a's ClusterMessage events."""
    got = []
    for step in range(40):
        now = Instant(t + step * 0.1, WALL0 + t + step * 0.1)
        for eng in (a, b):
            eng.handle_timer(now)
        for data in b.datagrams_to_send(now):
            a.receive_datagram(data, "hb0", ("10.77.0.2", 694), now)
        a.datagrams_to_send(now)
        got += [ev for ev in iter(a.next_event, None) if isinstance(ev, ClusterMessage)]
    return got


def test_client_messages_cross_and_statuses_do_not_become_events() -> None:
    a, b = _engine("a", b"A" * 16), _engine("b", b"B" * 16)
    # statuses, reqnodes/repnodes: the engine's own; a's own messages (ackmsg) only NS_
    assert _exchange(a, b, 100.0) == []
    now = Instant(104.0, WALL0 + 104)
    sent = b.send_verbatim(
        [("t", "ping"), ("from_id", "ping"), ("to_id", "ping"), ("client_gen", "1")], now
    )
    got = _exchange(a, b, 104.0)
    assert [(ev.src, ev.msg.type, ev.msg.get("from_id")) for ev in got] == [("b", "ping", "ping")]
    assert [n for n, _ in sent] == [
        "t", "from_id", "to_id", "client_gen", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl",
    ]  # fmt: skip


def test_a_clients_dest_and_src_stay_where_the_client_put_them() -> None:
    b = _engine("b", b"B" * 16)
    now = Instant(100.0, WALL0 + 100)
    fields = [("t", "hbapi-clstat"), ("st", "join"), ("src", "b"), ("info", "signon")]
    sent = b.send_verbatim(fields, now)
    assert [n for n, _ in sent][:6] == ["t", "st", "src", "info", "srcuuid", "seq"]
    sent = b.send_verbatim([("t", "pingreply"), ("dest", "b"), ("from_id", "ping")], now)
    assert [n for n, _ in sent][:5] == ["t", "dest", "from_id", "destuuid", "src"]
    assert dict(sent)["destuuid"] == b"B" * 16
    datagram = b.datagrams_to_send(now)[-1]
    assert Verifier(make_config("b").authkeys).verify(datagram).get("dest") == "b"


def test_the_nodes_own_messages_are_handed_to_its_clients_too() -> None:
    """As 3.0.6 reads its own messages back: those for all or for itself, sequenced."""
    a = _engine("a", b"A" * 16)
    list(iter(a.next_event, None))
    a.send("resource", [("rsc_hold", "local")])
    a.send("hb_takeover", [("rsc_hold", "all")], dest="b")  # for b only
    a.send("NS_ackmsg", [("ackseq", "1")], dest="a")  # unsequenced
    got = [ev for ev in iter(a.next_event, None) if isinstance(ev, ClusterMessage)]
    assert [(ev.src, ev.msg.type, ev.msg.get("rsc_hold"), ev.msg.get("src")) for ev in got] == [
        ("a", "resource", "local", "a")
    ]
