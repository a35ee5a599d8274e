"""The control socket's wire format: JSON lines over an AF_UNIX stream socket (sans-I/O).

One request per line, one response line per request::

    {"op": "snapshot"}                  -> {"ok": true, "snapshot": {...}}
    {"op": "status"}                    -> {"ok": true, "status": {...}} (docs/status.md)
    {"op": "standby", "hold": "all"}    -> {"ok": true} | {"ok": false, "error": "..."}
    {"op": "takeover", "hold": "local"} -> idem
    {"op": "cleanup", "group": "httpd"} -> idem ("group" absent: every group)
    {"op": "shutdown"} / {"op": "reload"} / {"op": "ping"}

This module owns the framing, the size limits, request validation and the ``Snapshot`` <->
JSON conversion. Every malformed input raises ``ControlError``; nothing else escapes.
Imports stdlib, ``pyhb.errors`` and ``pyhb.core`` data types only: never ``asyncio`` or
``socket`` (the server and the client do the I/O).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pyhb.core.events import (
    Cleanup,
    Command,
    LinkStatus,
    NodeStatus,
    RscHold,
    Shutdown,
    Standby,
    Takeover,
)
from pyhb.core.snapshot import GroupView, LinkView, NodeView, Snapshot
from pyhb.errors import PyhbError

#: Longest request line the server accepts (requests are tiny; this only stops abuse).
MAX_REQUEST_LINE = 4096
#: Longest response line a client accepts (a snapshot of a big cluster stays far below).
MAX_RESPONSE_LINE = 4 * 1024 * 1024

SOCKET_NAME = "pyhb.sock"
DEFAULT_RUN_DIR = "/run/heartbeat"

_E = TypeVar("_E", bound=enum.Enum)

PERMISSION_DENIED = "permission denied: only root may change cluster state"


class ControlError(PyhbError):
    """A control-socket request or response is malformed, or the exchange failed."""


class Op(enum.StrEnum):
    SNAPSHOT = "snapshot"
    STATUS = "status"
    STANDBY = "standby"
    TAKEOVER = "takeover"
    SHUTDOWN = "shutdown"
    RELOAD = "reload"
    PING = "ping"
    CLEANUP = "cleanup"


#: Operations that change cluster state: only uid 0 may send them.
MUTATING_OPS = frozenset({Op.STANDBY, Op.TAKEOVER, Op.SHUTDOWN, Op.RELOAD, Op.CLEANUP})

_HOLD_OPS = frozenset({Op.STANDBY, Op.TAKEOVER})
#: The sets a standby/takeover request may name (``failback`` is mapped by the tools).
_REQUEST_HOLDS = frozenset({RscHold.ALL, RscHold.FOREIGN, RscHold.LOCAL})


@dataclass(frozen=True, slots=True)
class Request:
    """One validated control request."""

    op: Op
    hold: RscHold | None = None
    group: str | None = None  # cleanup: the group key (None: every group)

    @property
    def mutating(self) -> bool:
        """True when only root may send this request."""
        return self.op in MUTATING_OPS

    def to_command(self) -> Command | None:
        """The engine command for standby/takeover/shutdown; None for the other ops."""
        if self.op is Op.STANDBY and self.hold is not None:
            return Standby(self.hold)
        if self.op is Op.TAKEOVER and self.hold is not None:
            return Takeover(self.hold)
        if self.op is Op.SHUTDOWN:
            return Shutdown()
        if self.op is Op.CLEANUP:
            return Cleanup(self.group)
        return None


def _loads_line(line: bytes, limit: int, what: str) -> dict[str, Any]:
    if len(line) > limit:
        raise ControlError(f"{what} too long ({len(line)} bytes, limit {limit})")
    try:
        obj = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ControlError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ControlError(f"{what} is not a JSON object")
    return obj


def _dumps_line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8") + b"\n"


# -- requests --------------------------------------------------------------------------


def encode_request(request: Request) -> bytes:
    """One request as a JSON line."""
    obj: dict[str, Any] = {"op": request.op.value}
    if request.hold is not None:
        obj["hold"] = request.hold.value
    if request.group is not None:
        obj["group"] = request.group
    return _dumps_line(obj)


def decode_request(line: bytes) -> Request:
    """Parse and validate one request line (with or without its newline)."""
    obj = _loads_line(line.rstrip(b"\r\n"), MAX_REQUEST_LINE, "request")
    raw_op = obj.get("op")
    if not isinstance(raw_op, str):
        raise ControlError("request has no 'op' string")
    try:
        op = Op(raw_op)
    except ValueError:
        raise ControlError(f"unknown op {raw_op!r}") from None
    allowed = {"op", "hold"} if op in _HOLD_OPS else {"op", "group"} if op is Op.CLEANUP else {"op"}
    unknown = set(obj) - allowed
    if unknown:
        raise ControlError(f"unexpected field(s) for {op.value}: {', '.join(sorted(unknown))}")
    if op is Op.CLEANUP:
        group = obj.get("group")
        if group is not None and (not isinstance(group, str) or not group):
            raise ControlError("cleanup: group must be a non-empty string")
        return Request(op, group=group)
    if op not in _HOLD_OPS:
        return Request(op)
    raw_hold = obj.get("hold", RscHold.ALL.value)
    if not isinstance(raw_hold, str) or raw_hold not in _REQUEST_HOLDS:
        raise ControlError(f"{op.value}: hold must be one of all, foreign, local; got {raw_hold!r}")
    return Request(op, RscHold(raw_hold))


# -- responses -------------------------------------------------------------------------


def encode_ok(**fields: Any) -> bytes:
    """A success response carrying ``fields``."""
    return _dumps_line({"ok": True, **fields})


def encode_error(message: str) -> bytes:
    """A failure response."""
    return _dumps_line({"ok": False, "error": message})


def decode_response(line: bytes) -> dict[str, Any]:
    """Parse one response line; it must carry a boolean ``ok`` (and ``error`` if false)."""
    obj = _loads_line(line.rstrip(b"\r\n"), MAX_RESPONSE_LINE, "response")
    if not isinstance(obj.get("ok"), bool):
        raise ControlError("response has no boolean 'ok'")
    if not obj["ok"] and not isinstance(obj.get("error"), str):
        raise ControlError("failure response has no 'error' string")
    return obj


# -- snapshot <-> JSON -----------------------------------------------------------------


def snapshot_to_json(snap: Snapshot) -> dict[str, Any]:
    """A JSON-ready dict for ``snap`` (order of nodes, links and groups preserved)."""
    return {
        "local_node": snap.local_node,
        "local_status": snap.local_status.value,
        "nodes": [
            {
                "name": n.name,
                "status": n.status.value,
                "type": n.type,
                "links": [{"name": li.name, "status": li.status.value} for li in n.links],
            }
            for n in snap.nodes
        ],
        "rscstatus": snap.rscstatus,
        "groups": [
            {"key": g.key, "node": g.node, "state": g.state, "error": g.error} for g in snap.groups
        ],
        "params": dict(snap.params),
        "managed_by": snap.managed_by,
    }


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ControlError(f"snapshot: {key!r} must be a string")
    return value


def _list(obj: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ControlError(f"snapshot: {key!r} must be a list of objects")
    return value


def _enum(cls: type[_E], raw: str, what: str) -> _E:
    try:
        return cls(raw)
    except ValueError:
        raise ControlError(f"snapshot: bad {what} {raw!r}") from None


def snapshot_from_json(obj: Any) -> Snapshot:
    """Rebuild a ``Snapshot`` from ``snapshot_to_json`` output; ControlError if malformed."""
    if not isinstance(obj, dict):
        raise ControlError("snapshot must be a JSON object")
    nodes = tuple(
        NodeView(
            name=_str(n, "name"),
            status=_enum(NodeStatus, _str(n, "status"), "node status"),
            links=tuple(
                LinkView(_str(li, "name"), _enum(LinkStatus, _str(li, "status"), "link status"))
                for li in _list(n, "links")
            ),
            type=_str(n, "type"),
        )
        for n in _list(obj, "nodes")
    )
    groups = []
    for g in _list(obj, "groups"):
        error = g.get("error")
        if error is not None and not isinstance(error, str):
            raise ControlError("snapshot: group 'error' must be a string or null")
        groups.append(GroupView(_str(g, "key"), _str(g, "node"), _str(g, "state"), error))
    params = obj.get("params", {})
    if not isinstance(params, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in params.items()
    ):
        raise ControlError("snapshot: 'params' must map strings to strings")
    return Snapshot(
        local_node=_str(obj, "local_node"),
        local_status=_enum(NodeStatus, _str(obj, "local_status"), "local status"),
        nodes=nodes,
        rscstatus=_str(obj, "rscstatus"),
        groups=tuple(groups),
        params=dict(params),
        managed_by=_str(obj, "managed_by"),
    )
