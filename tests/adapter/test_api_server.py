"""The client API's socket on a real AF_UNIX socket: its mode, stale and live sockets,
a sign-on checked against SO_PEERCRED, and bad frames dropping only their client."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

from pyhb.api import access, ipc, server
from pyhb.api.server import ApiError, ApiServer, SendBudget
from pyhb.api.sessions import Sessions
from pyhb.wire.message import HaMessage
from tests.unit.api.test_sessions import FakeNode


def _server(tmp_path: Path) -> ApiServer:
    staging = tmp_path / "private"
    staging.mkdir(mode=0o700, exist_ok=True)
    sessions = Sessions(FakeNode(), access.grants(()))
    return ApiServer(tmp_path / "register", sessions, staging=staging)


def _signon(pid: int, uid: int, gid: int) -> bytes:
    return ipc.encode(
        HaMessage((("t", "hbapi-req"), ("reqtype", "signon"), ("dest", "a"), ("pid", str(pid)),
                   ("from_id", str(pid)), ("uid", str(uid)), ("gid", str(gid))))
    )  # fmt: skip


async def _reply(path: Path, frame: bytes) -> list[HaMessage]:
    """The answer to ``frame`` (none if the server hangs up)."""
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(frame)
    await writer.drain()
    try:
        header = await asyncio.wait_for(reader.readexactly(8), 5)
        return [ipc.decode_body(await reader.readexactly(ipc.body_length(header)))]
    except asyncio.IncompleteReadError:
        return []
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_the_socket_is_3_0_6s_and_checks_who_signs_on(tmp_path: Path) -> None:
    server = _server(tmp_path)
    (tmp_path / "register").touch(mode=0o600)  # not a socket: left alone
    with pytest.raises(ApiError, match="not a socket"):
        server.open()
    (tmp_path / "register").unlink()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(tmp_path / "register"))
    stale.close()  # a crashed daemon's socket: replaced
    server.open()
    try:
        st = (tmp_path / "register").lstat()
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o777
        assert list((tmp_path / "private").iterdir()) == []
        with pytest.raises(ApiError, match="already listening"):
            _server(tmp_path).open()  # another daemon's live socket
        me = (os.getpid(), os.getuid(), os.getgid())
        (ok,) = await _reply(tmp_path / "register", _signon(*me))
        assert ok.get("result") == "OK"
        (lie,) = await _reply(tmp_path / "register", _signon(me[0], me[1] + 1, me[2]))
        assert (lie.get("result"), lie.get("info")) == ("badreq", "incorrect/false credentials")
        other = await _reply(tmp_path / "register", _signon(me[0] + 1, me[1], me[2]))
        assert other[0].get("info") == "pid mismatch"
        bad = await _reply(tmp_path / "register", b"\x10\x00\x00\x00\xcd\xab\x00\x01garbage")
        assert bad == []  # dropped, no answer
        (still,) = await _reply(tmp_path / "register", _signon(*me))
        assert still.get("result") == "OK"
    finally:
        await server.close()
    assert not (tmp_path / "register").exists()


def test_clients_are_paced_to_the_send_rate_after_a_burst() -> None:
    budget = SendBudget(0.0, rate=100.0, burst=3.0)
    assert [budget.spend(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert budget.spend(0.0) == pytest.approx(0.01)  # one token short: a hundredth
    assert budget.spend(0.0) == pytest.approx(0.02)
    assert budget.spend(1.0) == 0.0  # refilled, up to the burst
    assert budget.tokens == pytest.approx(2.0)


@pytest.mark.asyncio
async def test_a_connection_that_never_signs_on_is_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "SIGNON_TIMEOUT", 0.2)
    api = _server(tmp_path)
    api.open()
    try:
        reader, writer = await asyncio.open_unix_connection(str(tmp_path / "register"))
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        writer.close()
        assert api.sessions.clients == []
    finally:
        await api.close()
