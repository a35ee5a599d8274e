"""Answers to the client API's queries, from a read-only view of the node (docs/api.md).

Each answer is what 3.0.6's ``hb_api.c`` sends, field for field: ``t=hbapi-resp``,
``reqtype`` echoed, the answer's fields, then ``result`` (``OK``, ``ok/more`` for all
but the last part of a list, or ``badreq`` with the reason in ``info``). Node lists are
in ha.cf order (the client library reverses them); nodes of every type (``normal``,
``ping``) come from the one snapshot of the engine's peer table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from pyhb.config.model import node_key
from pyhb.core.snapshot import NodeView, Snapshot
from pyhb.wire.message import HaMessage, Pair, Value

OK, MORE, BADREQ = "OK", "ok/more", "badreq"
HBVERSION = "3.0.6"  # GetParameterValue("hbversion"); signon adds the build to it
DEFAULT_WEIGHT = "100"

K = TypeVar("K", str, bytes)  # what a lookup request names


class NodeQueries(Protocol):
    """What the answers read: the engine's state, never changed from here."""

    def snapshot(self) -> Snapshot:
        """Nodes, links, resources and parameters as they are now."""
        ...

    def uuid_of(self, node: str) -> bytes | None:
        """The uuid of ``node`` (any letter case), if known."""
        ...

    def node_of(self, uuid: bytes) -> str | None:
        """The node whose uuid is ``uuid``, if any."""
        ...


def response(reqtype: str, *fields: Pair, result: str = OK) -> HaMessage:
    return HaMessage((("t", "hbapi-resp"), ("reqtype", reqtype), *fields, ("result", result)))


def bad_request(reqtype: str, reason: str | None = "EINVAL") -> HaMessage:
    info: tuple[Pair, ...] = (("info", reason),) if reason else ()
    return HaMessage((("t", "hbapi-resp"), ("reqtype", reqtype), ("result", BADREQ), *info))


def ha_cf_order(snap: Snapshot) -> tuple[NodeView, ...]:
    """The nodes as 3.0.6 keeps them (``Snapshot.nodes`` is in ``cl_status`` order)."""
    return tuple(reversed(snap.nodes))


def find_node(snap: Snapshot, name: str | None) -> NodeView | None:
    if name is None:
        return None
    key = node_key(name)
    return next((n for n in snap.nodes if node_key(n.name) == key), None)


Answer = Callable[[NodeQueries, HaMessage], list[HaMessage]]


def _nodelist(q: NodeQueries, msg: HaMessage) -> list[HaMessage]:
    nodes = ha_cf_order(q.snapshot())
    return [
        response(
            "nodelist",
            ("node", n.name),
            ("nodetype", n.type),
            ("st", str(n.status)),
            result=OK if i == len(nodes) - 1 else MORE,
        )
        for i, n in enumerate(nodes)
    ]


def _node_answer(reqtype: str, fields: Callable[[NodeView], list[Pair]]) -> Answer:
    def answer(q: NodeQueries, msg: HaMessage) -> list[HaMessage]:
        node = find_node(q.snapshot(), msg.get("node"))
        if node is None:
            return [bad_request(reqtype)]
        return [response(reqtype, *fields(node))]

    return answer


def _iflist(q: NodeQueries, msg: HaMessage) -> list[HaMessage]:
    node = find_node(q.snapshot(), msg.get("node"))
    if node is None:
        return [bad_request("iflist")]
    links = node.links
    if node.type == "ping":  # a ping node's one "link" is named after the node
        links = tuple(lk for lk in links if lk.name == node.name)
        if not links:
            return [bad_request("iflist", "UhOh")]
    return [
        response(
            "iflist",
            ("ifname", lk.name),
            ("st", str(lk.status)),
            result=OK if i == len(links) - 1 else MORE,
        )
        for i, lk in enumerate(links)
    ]


def _ifstatus(q: NodeQueries, msg: HaMessage) -> list[HaMessage]:
    node = find_node(q.snapshot(), msg.get("node"))
    name = msg.get("ifname")
    link = next((lk for lk in node.links if lk.name == name), None) if node else None
    if link is None:
        return [bad_request("ifstatus")]
    return [response("ifstatus", ("st", str(link.status)))]


def _numnodes(q: NodeQueries, msg: HaMessage) -> list[HaMessage]:
    count = sum(1 for n in q.snapshot().nodes if n.type == "normal")
    return [response("numnodes", ("numnodes", str(count)))]


def parameter(snap: Snapshot, name: str) -> str | None:
    """What 3.0.6's ``GetParameterValue`` gives for ``name`` (``crm`` = ``pacemaker``)."""
    if name == "crm":
        name = "pacemaker"
    value = snap.params.get(name)
    if value is None and name == "hbversion":
        return HBVERSION
    if value is None and name == "pacemaker":
        return "false"
    return value


def _lookup(
    reqtype: str,
    read: Callable[[HaMessage], K | None],
    missing: str,
    find: Callable[[NodeQueries, K], Value | None],
    field: str,
) -> Answer:
    """An answer that looks up what the request names (``read``): ``field`` with what
    ``find`` finds, no field when nothing is found, ``badreq`` with ``missing`` when the
    request names nothing."""

    def answer(q: NodeQueries, msg: HaMessage) -> list[HaMessage]:
        key = read(msg)
        if key is None:
            return [bad_request(reqtype, missing)]
        value = find(q, key)
        return [response(reqtype, *([(field, value)] if value is not None else []))]

    return answer


def _getrsc(q: NodeQueries, msg: HaMessage) -> list[HaMessage]:
    snap = q.snapshot()
    if snap.managed_by != "haresources":
        return [bad_request("getrsc", "Resource is managed by crm. Use crm tool to query resource")]
    return [response("getrsc", ("rsc_hold", snap.rscstatus))]


ANSWERS: dict[str, Answer] = {
    "nodelist": _nodelist,
    "nodestatus": _node_answer("nodestatus", lambda n: [("st", str(n.status))]),
    "nodeweight": _node_answer("nodeweight", lambda n: [("weight", DEFAULT_WEIGHT)]),
    "nodesite": _node_answer("nodesite", lambda n: [("site", "")]),
    "nodetype": _node_answer("nodetype", lambda n: [("nodetype", n.type)]),
    "iflist": _iflist,
    "ifstatus": _ifstatus,
    "numnodes": _numnodes,
    "getparm": _lookup(
        "getparm", lambda m: m.get("pname"), "EINVAL",
        lambda q, name: parameter(q.snapshot(), name), "pvalue",
    ),
    "getrsc": _getrsc,
    "getuuid": _lookup(
        "getuuid", lambda m: m.get("queryname"), "no query node name found",
        lambda q, name: q.uuid_of(name), "queryuuid",
    ),
    "getnodename": _lookup(
        "getnodename", lambda m: m.get_bytes("queryuuid"), "no query node name found",
        lambda q, uuid: q.node_of(uuid), "queryname",
    ),
}  # fmt: skip
