"""Fixtures: a fake engine target and a real control server on a tmp socket in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pyhb.control.protocol import SOCKET_NAME
from pyhb.control.server import ControlServer
from pyhb.core.events import Command, LinkStatus, NodeStatus
from pyhb.core.snapshot import LinkView, NodeView, Snapshot

STEADY_PARAMS = {
    "keepalive": "1",
    "deadtime": "5",
    "warntime": "3",
    "initdead": "10",
    "auto_failback": "on",
    "udpport": "694",
}


def node(name: str, status: str = "active", link: str = "up") -> NodeView:
    """A normal node with one link ``hb0``."""
    return NodeView(name, NodeStatus(status), (LinkView("hb0", LinkStatus(link)),))


def snapshot(local: str, nodes: tuple[NodeView, ...], rscstatus: str, **params: str) -> Snapshot:
    """A snapshot as seen on ``local`` with the captures' ha.cf parameters."""
    return Snapshot(
        local_node=local,
        local_status=NodeStatus.ACTIVE,
        nodes=nodes,
        rscstatus=rscstatus,
        params={**STEADY_PARAMS, **params},
    )


@dataclass
class FakeTarget:
    """Stands in for the engine: a settable snapshot, recorded commands, optional refusal."""

    snap: Snapshot = field(default_factory=lambda: snapshot("a", (node("b"), node("a")), "local"))
    refusal: str | None = None
    commands: list[Command] = field(default_factory=list)
    reloads: int = 0

    def snapshot(self) -> Snapshot:
        return self.snap

    def request(self, cmd: Command) -> str | None:
        self.commands.append(cmd)
        return self.refusal

    def reload(self) -> str | None:
        self.reloads += 1
        return self.refusal


class ServerThread:
    """A ControlServer running on its own event loop in a background thread."""

    def __init__(self, run_dir: Path, target: FakeTarget) -> None:
        self.run_dir = run_dir
        self.path = run_dir / SOCKET_NAME
        self.target = target
        self.loop = asyncio.new_event_loop()
        self.server = ControlServer(self.path, target)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerThread]:
    """A running control server (FakeTarget) whose run dir is ``tmp_path / "run"``."""
    with ServerThread(tmp_path / "run", FakeTarget()) as st:
        yield st
