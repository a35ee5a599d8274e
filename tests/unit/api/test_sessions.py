"""API sessions: sign-on and its checks, the queries, client status, and messages between
clients and the cluster, as 3.0.6's hb_api.c handles them (docs/api.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from pyhb.api import access, ipc
from pyhb.api.sessions import Client, Sessions
from pyhb.config.model import ApiAuth
from pyhb.core.events import Command, LinkStatus, NodeStatus, RscHold, Standby
from pyhb.core.snapshot import LinkView, NodeView, Snapshot
from pyhb.wire.message import HaMessage, Pair

UP, DEAD = LinkStatus.UP, LinkStatus.DEAD
PID = 4242
HACLIENT = 106


@dataclass
class FakeNode:
    """Node ``a`` of ``node a b`` (ha.cf order) plus a ping node, and what it sent."""

    local: str = "a"
    b_status: NodeStatus = NodeStatus.ACTIVE
    sent: list[HaMessage] = field(default_factory=list)
    requests: list[Command] = field(default_factory=list)

    def request(self, cmd: Command) -> str | None:
        self.requests.append(cmd)
        return None

    def snapshot(self) -> Snapshot:
        nodes = (
            NodeView("gw", NodeStatus.ACTIVE, (LinkView("gw", UP),), type="ping"),
            NodeView("b", self.b_status, (LinkView("hb0", UP), LinkView("hb1", DEAD))),
            NodeView("a", NodeStatus.ACTIVE, (LinkView("hb0", UP), LinkView("hb1", UP))),
        )  # cl_status order: the reverse of ha.cf's
        return Snapshot("a", NodeStatus.ACTIVE, nodes, "local", params={"keepalive": "2"})

    def uuid_of(self, node: str) -> bytes | None:
        return {"a": b"A" * 16, "b": b"B" * 16}.get(node.lower())

    def node_of(self, uuid: bytes) -> str | None:
        return {b"A" * 16: "a", b"B" * 16: "b"}.get(uuid)

    def signon_fields(self) -> list[Pair]:
        return [("deadtime", "7530"), ("keepalive", "3e8"), ("node", "a")]

    def send(self, fields: Sequence[Pair]) -> HaMessage:
        msg = HaMessage((*fields, ("src", "a"), ("seq", "1")))
        self.sent.append(msg)
        return msg


@dataclass
class Conn:
    got: list[HaMessage] = field(default_factory=list)

    def write(self, data: bytes) -> bool:
        assert ipc.body_length(data[:8]) == len(data) - 8
        self.got.append(ipc.decode_body(data[8:]))
        return True


def _sessions(node: FakeNode | None = None, auth: tuple[ApiAuth, ...] = ()) -> Sessions:
    grants = access.grants(auth)
    grants["tester"] = access.Grant(frozenset({0}), frozenset())
    return Sessions(node or FakeNode(), grants)


def _client(
    sessions: Sessions, client_id: str | None = None, *, uid: int = 0, gid: int = 0,
    pid: int = PID, claim: tuple[int, int, int] | None = None,
) -> tuple[Client, Conn]:  # fmt: skip
    conn = Conn()
    client = Client(pid, uid, gid, conn.write)
    sessions.connected(client)
    cpid, cuid, cgid = claim or (pid, uid, gid)
    sessions.receive(
        client, _req("signon", client_id or str(cpid), cpid, uid=str(cuid), gid=str(cgid))
    )
    return client, conn


def _req(reqtype: str, client_id: str, pid: int = PID, **fields: str) -> HaMessage:
    base: tuple[Pair, ...] = (
        ("t", "hbapi-req"), ("reqtype", reqtype), ("dest", "a"), ("pid", str(pid)),
        ("from_id", client_id),
    )  # fmt: skip
    return HaMessage((*base, *fields.items()))


def _result(msg: HaMessage) -> tuple[str | None, str | None]:
    return msg.get("result"), msg.get("info")


def test_a_casual_client_signs_on_with_the_nodes_timings() -> None:
    sessions = _sessions()
    client, conn = _client(sessions, gid=HACLIENT)
    assert conn.got == [
        HaMessage((("t", "hbapi-resp"), ("reqtype", "signon"), ("result", "OK"),
                   ("deadtime", "7530"), ("keepalive", "3e8"), ("node", "a")))
    ]  # fmt: skip
    assert client.casual
    assert client.gone is None


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"uid": 1000, "gid": 1000}, "client failed authorization"),  # not root nor haclient
        ({"claim": (PID, 0, 0), "uid": 1000, "gid": 1000}, "incorrect/false credentials"),
        ({"claim": (PID + 1, 0, 0)}, "pid mismatch"),
        ({"client_id": "ipfail"}, "client failed authorization"),  # root is not hacluster
        ({"client_id": "nosuchclient"}, "no default client auth"),
    ],
)
def test_sign_on_refusals_say_why_and_drop_the_client(kwargs: dict[str, Any], reason: str) -> None:
    sessions = _sessions()
    client, conn = _client(sessions, **kwargs)
    assert _result(conn.got[0]) == ("badreq", reason)
    assert conn.got[0].get("deadtime") == "7530"  # 3.0.6 fills in the timings all the same
    assert client.gone == reason
    assert sessions.node.sent == []  # type: ignore[attr-defined]


def test_apiauth_lines_replace_the_built_in_entries() -> None:
    sessions = _sessions(auth=(ApiAuth("ipfail", ("0",), ()),))
    _, conn = _client(sessions, "ipfail")
    assert _result(conn.got[-1]) == ("OK", None)


def test_a_named_client_joins_the_cluster_and_a_second_of_its_name_is_refused() -> None:
    node = FakeNode()
    sessions = _sessions(node)
    first, conn = _client(sessions, "tester")
    join = node.sent[0]
    assert join.fields[:7] == (
        ("t", "hbapi-clstat"), ("st", "join"), ("from_id", "tester"), ("to_id", "tester"),
        ("src", "a"), ("info", "signon"), ("client_gen", "0"),
    )  # fmt: skip
    assert [m.type for m in conn.got] == ["hbapi-clstat", "hbapi-resp"]  # looped back first
    _, conn2 = _client(sessions, "tester", pid=PID + 1)
    assert _result(conn2.got[0]) == ("badreq", "duplicate add request")
    sessions.receive(first, _req("signoff", "tester"))
    assert first.gone == "signoff"
    sessions.disconnected(first)
    assert node.sent[-1].get("st") == "leave"
    assert conn.got[-1].get("st") == "leave"  # told before the cluster is


def test_queries_answer_as_3_0_6_in_ha_cf_order_with_ok_more() -> None:
    sessions = _sessions()
    client, conn = _client(sessions)
    conn.got.clear()
    sessions.receive(client, _req("nodelist", str(PID)))
    assert [(m.get("node"), m.get("nodetype"), m.get("st"), m.get("result")) for m in conn.got] == [
        ("a", "normal", "active", "ok/more"),
        ("b", "normal", "active", "ok/more"),
        ("gw", "ping", "active", "OK"),
    ]
    conn.got.clear()
    for req in (
        _req("nodestatus", str(PID), node="B"),
        _req("nodestatus", str(PID), node="zz"),
        _req("nodetype", str(PID), node="gw"),
        _req("ifstatus", str(PID), node="b", ifname="hb1"),
        _req("ifstatus", str(PID), node="b", ifname="eth9"),
        _req("numnodes", str(PID)),
        _req("getparm", str(PID), pname="keepalive"),
        _req("getparm", str(PID), pname="nosuch"),
        _req("getrsc", str(PID)),
        _req("nodeweight", str(PID), node="a"),
        _req("nodesite", str(PID), node="a"),
        _req("nosuchrequest", str(PID)),
    ):
        sessions.receive(client, req)
    assert [m.fields[2:] for m in conn.got] == [
        (("st", "active"), ("result", "OK")),
        (("result", "badreq"), ("info", "EINVAL")),
        (("nodetype", "ping"), ("result", "OK")),
        (("st", "dead"), ("result", "OK")),
        (("result", "badreq"), ("info", "EINVAL")),
        (("numnodes", "2"), ("result", "OK")),  # ping nodes do not count
        (("pvalue", "2"), ("result", "OK")),
        (("result", "OK"),),  # an unknown parameter: no value, no error
        (("rsc_hold", "local"), ("result", "OK")),
        (("weight", "100"), ("result", "OK")),
        (("site", ""), ("result", "OK")),
        (("result", "badreq"),),
    ]


def test_iflist_and_uuid_queries() -> None:
    sessions = _sessions()
    client, conn = _client(sessions)
    conn.got.clear()
    sessions.receive(client, _req("iflist", str(PID), node="b"))
    sessions.receive(client, _req("iflist", str(PID), node="gw"))
    sessions.receive(client, _req("getuuid", str(PID), queryname="b"))
    sessions.receive(
        client, HaMessage((*_req("getnodename", str(PID)).fields, ("queryuuid", b"A" * 16)))
    )
    assert [m.fields[2:] for m in conn.got] == [
        (("ifname", "hb0"), ("st", "up"), ("result", "ok/more")),
        (("ifname", "hb1"), ("st", "dead"), ("result", "OK")),
        (("ifname", "gw"), ("st", "up"), ("result", "OK")),
        (("queryuuid", b"B" * 16), ("result", "OK")),
        (("queryname", "a"), ("result", "OK")),
    ]


def test_requests_in_another_clients_name_are_ignored() -> None:
    sessions = _sessions()
    client, conn = _client(sessions)
    conn.got.clear()
    sessions.receive(client, _req("nodelist", "999", pid=999))
    assert conn.got == []


def test_client_status_is_answered_locally_or_asked_of_the_peer() -> None:
    node = FakeNode()
    sessions = _sessions(node)
    _client(sessions, "tester", pid=7)
    client, conn = _client(sessions)
    conn.got.clear()
    sessions.receive(client, _req("clientstatus", str(PID), node="a", cn="tester"))
    sessions.receive(client, _req("clientstatus", str(PID), node="a", cn="ipfail"))
    assert [m.fields[2:4] for m in conn.got] == [
        (("subt", "respond-cstatus"), ("cs", "online")),
        (("subt", "respond-cstatus"), ("cs", "offline")),
    ]
    sessions.receive(client, _req("clientstatus", str(PID), node="b", cn="ipfail"))
    assert node.sent[-1].fields[:4] == (
        ("t", "query-cstatus"), ("dest", "b"), ("cn", "ipfail"), ("from_id", str(PID)),
    )  # fmt: skip
    # The peer's answer comes back addressed to this client.
    answer = HaMessage((("t", "respond-cstatus"), ("dest", "a"), ("result", "OK"),
                        ("cn", "ipfail"), ("to_id", str(PID)), ("cs", "offline")))  # fmt: skip
    sessions.cluster_message("b", answer)
    assert conn.got[-1] == answer
    node.b_status = NodeStatus.DEAD
    sent = len(node.sent)
    sessions.receive(client, _req("clientstatus", str(PID), node="b", cn="ipfail"))
    assert conn.got[-1].get("cs") == "offline"
    assert len(node.sent) == sent  # a dead peer is not asked


def test_a_peers_query_is_answered_from_the_local_clients() -> None:
    node = FakeNode()
    sessions = _sessions(node)
    _client(sessions, "tester")
    query = HaMessage((("t", "query-cstatus"), ("dest", "a"), ("cn", "tester"),
                       ("from_id", "77"), ("src", "b")))  # fmt: skip
    sessions.cluster_message("b", query)
    assert node.sent[-1].fields[:6] == (
        ("t", "respond-cstatus"), ("dest", "b"), ("result", "OK"), ("cn", "tester"),
        ("to_id", "77"), ("cs", "online"),
    )  # fmt: skip


def test_named_clients_messages_go_to_the_cluster_and_back_to_their_namesakes() -> None:
    node = FakeNode()
    sessions = _sessions(node)
    sender, conn = _client(sessions, "tester")
    other, other_conn = _client(sessions, pid=99)  # casual: keeps what is not addressed
    conn.got.clear()
    other_conn.got.clear()
    sessions.receive(sender, HaMessage((("t", "ping"), ("dest", "b"))))
    assert node.sent[-1].fields[:5] == (
        ("t", "ping"), ("dest", "b"), ("from_id", "tester"), ("to_id", "tester"),
        ("client_gen", "0"),
    )  # fmt: skip
    assert conn.got == []  # for b only
    sessions.receive(sender, HaMessage((("t", "ping"),)))
    assert conn.got[-1].type == "ping"  # broadcast: looped back to its namesake ...
    assert other_conn.got == []  # ... and to no one else
    sessions.receive(other, HaMessage((("t", "ping"),)))
    assert other.gone == "badclient"  # casual clients may not send


def test_cluster_events_reach_clients_that_keep_them() -> None:
    sessions = _sessions()
    client, conn = _client(sessions)
    conn.got.clear()
    sessions.node_changed("b", "dead", 0x6B12D3AB)
    sessions.link_changed("b", "hb0", "dead")
    sessions.cluster_message("b", HaMessage((("t", "resource"), ("rsc_hold", "local"))))
    assert [m.fields for m in conn.got] == [
        (("t", "status"), ("seq", "1"), ("ts", "6b12d3ab"), ("src", "b"), ("st", "dead")),
        (("t", "ifstat"), ("node", "b"), ("ifname", "hb0"), ("st", "dead")),
        (("t", "resource"), ("rsc_hold", "local")),
    ]
    sessions.receive(client, _req("setfilter", str(PID), fmask="20"))  # protocol only
    assert _result(conn.got[-1]) == ("OK", None)
    conn.got.clear()
    sessions.node_changed("b", "active", 0)
    assert conn.got == []
    sessions.receive(client, _req("setfilter", str(PID), fmask="40"))
    assert _result(conn.got[-1]) == ("badreq", "EINVAL")


def test_debug_filters_are_for_root_only() -> None:
    sessions = _sessions()
    client, conn = _client(sessions, uid=1000, gid=HACLIENT)
    sessions.receive(client, _req("setfilter", str(PID), fmask="3f"))
    assert _result(conn.got[-1]) == ("badreq", "EPERM")


def test_ipfail_giving_up_is_a_standby_request_as_from_the_fifo() -> None:
    """ipfail sends ``ask_resources rsc_hold=... info=me``; 3.0.6 acts on its own copy."""
    node = FakeNode()
    sessions = _sessions(node)
    client, _ = _client(sessions, "tester")
    sent = len(node.sent)
    giveup = (("t", "ask_resources"), ("rsc_hold", "foreign"), ("src", "a"), ("info", "me"))
    sessions.receive(client, HaMessage(giveup))
    assert node.requests == [Standby(RscHold.FOREIGN)]
    assert len(node.sent) == sent  # the engine sends the standby protocol itself
