"""The control server on a real AF_UNIX socket: round trips, robustness, SO_PEERCRED, cleanup."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from pyhb.control.client import ControlClient, DaemonNotRunning, RequestRefused
from pyhb.control.protocol import MAX_REQUEST_LINE, ControlError
from pyhb.control.server import ControlServer
from pyhb.core.events import Command, LinkStatus, NodeStatus, RscHold, Shutdown, Standby
from pyhb.core.snapshot import LinkView, NodeView, Snapshot
from tests.helpers.installed import readable_copy

SNAP = Snapshot(
    local_node="a",
    local_status=NodeStatus.ACTIVE,
    nodes=(NodeView("a", NodeStatus.ACTIVE, (LinkView("hb0", LinkStatus.UP),)),),
    rscstatus="all",
    params={"deadtime": "5"},
)


class Target:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.reloads = 0

    def snapshot(self) -> Snapshot:
        return SNAP

    def request(self, cmd: Command) -> str | None:
        self.commands.append(cmd)
        return None

    def reload(self) -> str | None:
        self.reloads += 1
        return None


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """A world-traversable directory (pytest's tmp_path is 0700, closed to ``nobody``)."""
    path = Path(tempfile.mkdtemp(prefix="pyhb-ctl-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture
async def server(run_dir: Path) -> AsyncIterator[tuple[ControlServer, Target]]:
    target = Target()
    async with ControlServer(run_dir / "pyhb.sock", target) as srv:
        yield srv, target


async def _raw(path: Path, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_unix_connection(str(path))
    try:
        writer.write(payload)
        await writer.drain()
        writer.write_eof()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.asyncio
async def test_round_trip_snapshot_and_commands(server: tuple[ControlServer, Target]) -> None:
    """The blocking client gets the snapshot back and its commands reach the target."""
    srv, target = server
    client = ControlClient(str(srv.path), timeout=2)
    snap = await asyncio.to_thread(client.snapshot)
    assert snap.nodes == SNAP.nodes
    assert snap.params["deadtime"] == "5"
    await asyncio.to_thread(client.standby, RscHold.FOREIGN)
    await asyncio.to_thread(client.shutdown)
    await asyncio.to_thread(client.reload)
    assert target.commands == [Standby(RscHold.FOREIGN), Shutdown()]
    assert target.reloads == 1


@pytest.mark.asyncio
async def test_socket_is_world_connectable_and_removed_at_close(run_dir: Path) -> None:
    """The socket file is mode 0666 while serving and gone after close."""
    path = run_dir / "pyhb.sock"
    async with ControlServer(path, Target()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666
    assert not path.exists()


@pytest.mark.asyncio
async def test_garbage_lines_get_errors_and_server_keeps_serving(
    server: tuple[ControlServer, Target],
) -> None:
    """Garbage, bad JSON and unknown ops each get an error line; the next client is served."""
    srv, _ = server
    data = await _raw(srv.path, b'garbage\n\xff\xfe\n{"op":"rm -rf"}\n{"op":"ping"}\nhalf')
    lines = data.decode().splitlines()
    assert len(lines) == 5
    assert all('"ok":false' in ln for ln in lines[:3])
    assert '"ok":true' in lines[3]
    assert "newline" in lines[4]
    client = ControlClient(str(srv.path), timeout=2)
    assert await asyncio.to_thread(client.ping)


@pytest.mark.asyncio
async def test_oversize_request_is_refused_and_server_survives(
    server: tuple[ControlServer, Target],
) -> None:
    """A request line over the limit is answered with an error and the connection closed."""
    srv, target = server
    data = await _raw(srv.path, b'{"op":"standby","x":"' + b"A" * (4 * MAX_REQUEST_LINE) + b'"}\n')
    assert b"too long" in data
    assert target.commands == []
    client = ControlClient(str(srv.path), timeout=2)
    assert (await asyncio.to_thread(client.snapshot)).local_node == "a"


@pytest.mark.asyncio
async def test_stale_socket_is_replaced_but_live_one_is_not(run_dir: Path) -> None:
    """A dead socket file from a crash is removed at start; a listening one is an error."""
    path = run_dir / "pyhb.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()
    async with ControlServer(path, Target()):
        client = ControlClient(str(path), timeout=2)
        assert await asyncio.to_thread(client.ping)
        with pytest.raises(ControlError, match="already listening"):
            await ControlServer(path, Target()).start()


def test_client_reports_daemon_not_running(run_dir: Path) -> None:
    """No socket file, or a socket nobody listens on, is DaemonNotRunning."""
    path = run_dir / "pyhb.sock"
    with pytest.raises(DaemonNotRunning):
        ControlClient(str(path), timeout=1).ping()
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()
    with pytest.raises(DaemonNotRunning):
        ControlClient(str(path), timeout=1).ping()


NOBODY_CLIENT = """
import sys
from pyhb.control.client import ControlClient, RequestRefused
c = ControlClient(sys.argv[1], timeout=3)
print(len(c.snapshot().nodes))
try:
    c.standby(__import__("pyhb.core.events", fromlist=["RscHold"]).RscHold.ALL)
except RequestRefused as exc:
    print("refused:", exc)
"""


@pytest.mark.asyncio
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
async def test_non_root_may_read_but_not_change_state(server: tuple[ControlServer, Target]) -> None:
    """As ``nobody`` a snapshot works but standby is refused (uid from SO_PEERCRED)."""
    srv, target = server
    readable = readable_copy()
    proc = await asyncio.create_subprocess_exec(
        "setpriv",
        "--reuid",
        "nobody",
        "--regid",
        "nogroup",
        "--clear-groups",
        sys.executable,
        "-c",
        NOBODY_CLIENT,
        str(srv.path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(readable)},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        shutil.rmtree(readable)
    assert proc.returncode == 0, err.decode()
    assert out.decode() == ("1\nrefused: permission denied: only root may change cluster state\n")
    assert target.commands == []
    assert RequestRefused.__mro__[1] is ControlError


@pytest.mark.asyncio
async def test_one_user_cannot_hold_every_control_connection(
    server: tuple[ControlServer, Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-root user gets at most its share of connections; more are told so and closed,
    root still gets in, and a closed connection frees its place."""
    srv, _ = server
    from pyhb.control import server as server_module

    uids: list[int] = []
    monkeypatch.setattr(server_module, "peer_uid", lambda _sock: uids.pop(0))
    held = []
    for _ in range(server_module.MAX_CONNECTIONS_PER_UID):
        uids.append(1000)
        reader, writer = await asyncio.open_unix_connection(str(srv.path))
        writer.write(b'{"op":"ping"}\n')
        assert b'"ok":true' in await asyncio.wait_for(reader.readline(), 5)
        held.append((reader, writer))
    uids.append(1000)
    refused = await _raw(srv.path, b'{"op":"ping"}\n')
    assert b"too many control connections" in refused
    uids.append(0)
    assert b'"ok":true' in await _raw(srv.path, b'{"op":"ping"}\n')
    reader, writer = held.pop()
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.1)
    uids.append(1000)
    assert b'"ok":true' in await _raw(srv.path, b'{"op":"ping"}\n')
    for _reader, writer in held:
        writer.close()
        await writer.wait_closed()
