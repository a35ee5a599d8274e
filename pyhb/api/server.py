"""The client API's listening socket, ``register`` in the run directory (docs/api.md).

As in 3.0.6 it opens once communication is up (until then clients are told heartbeat is
not running) with mode 0777: who may reach it is decided by the run directory
(``hacluster:haclient 0750``) and, per client, by ``access``. The socket is bound and
given its mode in root's private directory and renamed into place, so no path another
user can change is ever followed (``daemon.private``). A stale socket is replaced; a
live one (another daemon) is left alone and the API stays closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

from pyhb import unixsock
from pyhb.api import ipc
from pyhb.api.sessions import Client, Sessions

log = logging.getLogger(__name__)

#: Bytes queued for a client that does not read before it is dropped (3.0.6 drops a
#: client whose queue of messages is full as well).
MAX_BACKLOG = 1 << 20
MAX_CLIENTS = 128
#: Messages a client may send to the cluster: this many a second, in bursts of ``BURST``.
#: A faster client is read more slowly (3.0.6 pauses its clients when its peers fall
#: behind), so that no local user floods the cluster.
SEND_RATE, BURST = 100.0, 200.0
#: A connection that has not signed on this long after connecting is closed.
SIGNON_TIMEOUT = 10.0


class SendBudget:
    """A token bucket: how long to wait before a client's next cluster message."""

    def __init__(self, now: float, rate: float = SEND_RATE, burst: float = BURST) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, now

    def spend(self, now: float) -> float:
        """Take one token at ``now``; the seconds to pause first (0: none)."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class ApiError(OSError):
    """The API socket cannot be opened."""


class ApiServer:
    """Serves ``sessions`` on ``path`` once ``open`` is called."""

    def __init__(self, path: Path, sessions: Sessions, *, staging: Path) -> None:
        self.path = path
        self.staging = staging
        self.sessions = sessions
        self._server: asyncio.AbstractServer | None = None
        self._sock: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        """Bind and listen (synchronously: clients may connect at once)."""
        if self._sock is not None:
            return
        # 3.0.6's mode; access is checked per client (SO_PEERCRED and apiauth)
        sock, self._inode = unixsock.bind_staged(
            self.path, self.staging, 0o777, ApiError, "API socket"
        )
        try:
            sock.listen(64)
        except OSError as exc:
            sock.close()
            unixsock.unlink_if_ours(self.path, self._inode)
            raise ApiError(f"cannot listen on API socket {self.path}: {exc}") from exc
        sock.setblocking(False)
        self._sock = sock
        self._task = asyncio.get_running_loop().create_task(self._listen(sock))
        log.info("Client API listening on %s", self.path)

    async def _listen(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_unix_server(self._serve, sock=sock)

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._conns):
            writer.close()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)
        unixsock.unlink_if_ours(self.path, self._inode)
        self._sock = None

    @staticmethod
    async def _frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
        header = await reader.readexactly(ipc.HEADER.size)
        return header, await reader.readexactly(ipc.body_length(header))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pid, uid, gid = unixsock.peer_credentials(writer.get_extra_info("socket")) or (0, -1, -1)
        if len(self._conns) >= MAX_CLIENTS and uid != 0:
            log.warning("API connection of uid %d refused: %d clients already", uid, MAX_CLIENTS)
            writer.close()
            return
        self._conns.add(writer)

        def write(data: bytes) -> bool:
            if writer.is_closing() or writer.transport.get_write_buffer_size() > MAX_BACKLOG:
                return False
            writer.write(data)
            return True

        client = Client(pid, uid, gid, write)
        self.sessions.connected(client)
        loop = asyncio.get_running_loop()
        budget = SendBudget(loop.time())
        try:
            while client.gone is None:
                if client.pid:
                    header = await reader.readexactly(ipc.HEADER.size)
                    body = await reader.readexactly(ipc.body_length(header))
                else:
                    header, body = await asyncio.wait_for(self._frame(reader), SIGNON_TIMEOUT)
                if self.sessions.receive(client, ipc.decode_body(body)):
                    pause = budget.spend(loop.time())
                    if pause:
                        await asyncio.sleep(pause)
        except TimeoutError:
            log.warning("API client pid %d did not sign on within %.0f s", pid, SIGNON_TIMEOUT)
            client.gone = "no signon"
        except ipc.FrameError as exc:
            log.warning("API client pid %d sent a bad message: %s", pid, exc)
            client.gone = "bad message"
        except (asyncio.IncompleteReadError, ConnectionError):
            client.gone = client.gone or "EOF"
        except Exception:
            log.exception("API client pid %d failed", pid)
            client.gone = client.gone or "error"
        finally:
            self.sessions.disconnected(client)
            self._conns.discard(writer)
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
