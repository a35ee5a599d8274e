"""The ``status`` request over the control socket, and ``pyhb status`` printing it."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhb.cli import status as status_cli
from pyhb.control.client import ControlClient
from pyhb.control.protocol import Op, Request, decode_request, encode_request
from pyhb.control.server import ControlServer
from pyhb.core.events import Command, LinkStatus, NodeStatus
from pyhb.core.snapshot import LinkView, NodeView, Snapshot

DOC: dict[str, Any] = {
    "schema": "pyhb-status/1",
    "version": "9.9",
    "heartbeat_version": "3.0.6",
    "local_node": "a",
    "local_status": "active",
    "uptime_seconds": 3725.0,
    "rscstatus": "all",
    "auto_failback": "on",
    "timings": {"keepalive_ms": 200, "deadtime_ms": 1000, "warntime_ms": 500, "initdead_ms": 4000},
    "nodes": [
        {"name": "b", "type": "normal", "status": "dead", "local": False,
         "links": [{"name": "hb0", "status": "dead"}]},
        {"name": "a", "type": "normal", "status": "active", "local": True,
         "links": [{"name": "hb0", "status": "up"}]},
    ],
    "groups": [],
}  # fmt: skip


class Target:
    def snapshot(self) -> Snapshot:
        node = NodeView("a", NodeStatus.ACTIVE, (LinkView("hb0", LinkStatus.UP),))
        return Snapshot("a", NodeStatus.ACTIVE, (node,), "all")

    def status(self) -> dict[str, Any]:
        return DOC

    def request(self, cmd: Command) -> str | None:
        return None

    def reload(self) -> str | None:
        return None


@pytest.fixture
def run_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pyhb-status-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_status_is_a_read_only_request() -> None:
    request = decode_request(b'{"op":"status"}\n')
    assert request == Request(Op.STATUS)
    assert not request.mutating
    assert decode_request(encode_request(request)) == request


@pytest.mark.asyncio
async def test_status_round_trip_and_the_cli(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with ControlServer(run_dir / "pyhb.sock", Target()) as srv:
        client = ControlClient(str(srv.path), timeout=2)
        assert await asyncio.to_thread(client.status) == DOC
        argv = ["--json", "--run-dir", str(run_dir)]
        assert await asyncio.to_thread(status_cli.main, argv) == 0
        assert json.loads(capsys.readouterr().out) == DOC
        assert await asyncio.to_thread(status_cli.main, ["--run-dir", str(run_dir)]) == 0
    text = capsys.readouterr().out
    assert "pyhb 9.9 on node a (active), up 1h 02m 05s" in text
    assert "  b " in text
    assert "links: hb0 dead" in text
    assert "No resource groups." in text


def test_cli_without_a_daemon_says_so(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert status_cli.main(["--json", "--run-dir", str(run_dir)]) == 1
    assert "not running" in capsys.readouterr().err
    assert status_cli.main(["--bogus"]) == 2
