"""The control protocol: request validation, response framing, Snapshot <-> JSON."""

from __future__ import annotations

import json

import pytest

from pyhb.control.protocol import (
    MAX_REQUEST_LINE,
    ControlError,
    Op,
    Request,
    decode_request,
    decode_response,
    encode_error,
    encode_ok,
    encode_request,
    snapshot_from_json,
    snapshot_to_json,
)
from pyhb.core.events import (
    Cleanup,
    LinkStatus,
    NodeStatus,
    RscHold,
    Shutdown,
    Standby,
    Takeover,
)
from pyhb.core.snapshot import GroupView, LinkView, NodeView, Snapshot


def test_snapshot_survives_json_round_trip() -> None:
    """Every Snapshot field, including order, groups, errors and params, round-trips."""
    snap = Snapshot(
        local_node="alpha",
        local_status=NodeStatus.UP,
        nodes=(
            NodeView("beta", NodeStatus.DEAD, (LinkView("eth1", LinkStatus.DEAD),)),
            NodeView("alpha", NodeStatus.UP, (LinkView("eth1", LinkStatus.UP),)),
            NodeView("10.0.0.1", NodeStatus.ACTIVE, (), type="ping"),
        ),
        rscstatus="transition",
        groups=(GroupView("IPaddr::10.77.0.100", "alpha", "failed", "start exit 1"),),
        params={"deadtime": "6", "keepalive": "200ms"},
        managed_by="haresources",
    )
    wire = json.loads(json.dumps(snapshot_to_json(snap)))
    assert snapshot_from_json(wire) == snap


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"local_node": "a"},
        {
            "local_node": "a",
            "local_status": "zombie",
            "nodes": [],
            "rscstatus": "all",
            "managed_by": "haresources",
        },
        {
            "local_node": "a",
            "local_status": "up",
            "nodes": [{"name": "a"}],
            "rscstatus": "all",
            "managed_by": "haresources",
        },
        {
            "local_node": "a",
            "local_status": "up",
            "nodes": [],
            "rscstatus": "all",
            "managed_by": "haresources",
            "params": {"x": 1},
        },
    ],
)
def test_malformed_snapshot_raises_control_error(bad: object) -> None:
    """Broken snapshot JSON is a ControlError, never a KeyError or TypeError."""
    with pytest.raises(ControlError):
        snapshot_from_json(bad)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"op":"snapshot"}\n', Request(Op.SNAPSHOT)),
        (b'{"op":"ping"}', Request(Op.PING)),
        (b'{"op":"standby","hold":"foreign"}\n', Request(Op.STANDBY, RscHold.FOREIGN)),
        (b'{"op":"standby"}\n', Request(Op.STANDBY, RscHold.ALL)),
        (b'{"op":"takeover","hold":"local"}\r\n', Request(Op.TAKEOVER, RscHold.LOCAL)),
        (b'{"op":"shutdown"}\n', Request(Op.SHUTDOWN)),
        (b'{"op":"reload"}\n', Request(Op.RELOAD)),
        (b'{"op": "cleanup"}\n', Request(Op.CLEANUP)),
        (b'{"op": "cleanup", "group": "httpd"}\n', Request(Op.CLEANUP, group="httpd")),
    ],
)
def test_valid_requests_decode(line: bytes, expected: Request) -> None:
    """Each documented request line decodes to its Request (hold defaults to all)."""
    assert decode_request(line) == expected
    assert decode_request(encode_request(expected)) == expected


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"garbage\n",
        b"\xff\xfe\n",
        b"[1,2]\n",
        b'{"op": 3}\n',
        b'{"op": "format-disk"}\n',
        b'{"op": "standby", "hold": "none"}\n',
        b'{"op": "standby", "hold": "failback"}\n',
        b'{"op": "snapshot", "hold": "all"}\n',
        b'{"op": "ping", "extra": 1}\n',
        b'{"op": "ping", "pad": "' + b"x" * MAX_REQUEST_LINE + b'"}\n',
        b'{"op": "cleanup", "group": 3}\n',
        b'{"op": "cleanup", "group": ""}\n',
        b'{"op": "cleanup", "hold": "all"}\n',
        b'{"op": "standby", "group": "httpd"}\n',
    ],
)
def test_malformed_requests_raise_control_error(line: bytes) -> None:
    """Garbage, wrong types, unknown ops/holds, stray fields (a group where it has no
    place, a hold on cleanup) and oversize lines are refused."""
    with pytest.raises(ControlError):
        decode_request(line)


def test_requests_map_to_engine_commands() -> None:
    """standby/takeover/shutdown become engine commands; only those and reload mutate."""
    assert Request(Op.STANDBY, RscHold.ALL).to_command() == Standby(RscHold.ALL)
    assert Request(Op.TAKEOVER, RscHold.LOCAL).to_command() == Takeover(RscHold.LOCAL)
    assert Request(Op.SHUTDOWN).to_command() == Shutdown()
    assert Request(Op.SNAPSHOT).to_command() is None
    assert [op for op in Op if Request(op).mutating] == [
        Op.STANDBY,
        Op.TAKEOVER,
        Op.SHUTDOWN,
        Op.RELOAD,
        Op.CLEANUP,
    ]
    assert Request(Op.CLEANUP, group="httpd").to_command() == Cleanup("httpd")
    assert Request(Op.CLEANUP).to_command() == Cleanup(None)


def test_responses_round_trip_and_are_validated() -> None:
    """ok/error responses decode; a response without a boolean ok is a ControlError."""
    assert decode_response(encode_ok(version="1")) == {"ok": True, "version": "1"}
    assert decode_response(encode_error("no")) == {"ok": False, "error": "no"}
    assert encode_ok().endswith(b"\n")
    for bad in (b'{"ok": "yes"}', b'{"ok": false}', b"nope"):
        with pytest.raises(ControlError):
            decode_response(bad)
