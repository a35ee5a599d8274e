"""The control socket server: answers ``cl_status``, ``hb_standby`` and ``hb_takeover``.

An asyncio AF_UNIX stream server speaking ``control.protocol``. Anyone may read (the socket
file is mode 0666, as cl_status works for every user in 3.0.6); state-changing requests are
accepted only from uid 0, checked with ``SO_PEERCRED`` (never from anything the client says).
A stale socket file left by a crashed daemon is removed at start; the file is removed at
close. A broken client never takes the server down: its errors are logged and its
connection closed.

Imports ``asyncio``, ``socket``, ``control.protocol`` and ``core`` data types; never the
engine itself (it is reached through the ``ControlTarget`` protocol).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, Protocol

import pyhb
from pyhb import unixsock
from pyhb.control.protocol import (
    MAX_REQUEST_LINE,
    PERMISSION_DENIED,
    ControlError,
    Op,
    Request,
    decode_request,
    encode_error,
    encode_ok,
    snapshot_to_json,
)
from pyhb.core.events import Command
from pyhb.core.snapshot import Snapshot

log = logging.getLogger(__name__)

#: What ``hbparameter -p hbversion`` and ``hbstatus -v`` show when the target sets nothing:
#: 3.0.6's own version (peers and scripts compare it) plus pyhb's.
HBVERSION = f"3.0.6 (pyhb {pyhb.__version__})"

#: A connection idle this long is closed (cl_status itself gives up after 5 s).
IDLE_TIMEOUT = 30.0

#: Connections from users other than root: at most this many at once from one uid, and
#: from all of them together. More are answered with an error and closed at once, so no
#: local user can use up the daemon's file descriptors; root is never turned away.
MAX_CONNECTIONS_PER_UID = 8
MAX_UNPRIVILEGED_CONNECTIONS = 32
TOO_MANY_CONNECTIONS = "too many control connections from this user; try again later"


class ControlTarget(Protocol):
    """What the control server drives (the daemon's engine glue)."""

    def snapshot(self) -> Snapshot:
        """The current read-only view."""
        ...

    def status(self) -> dict[str, Any]:
        """The status document (``control.status``)."""
        ...

    def request(self, cmd: Command) -> str | None:
        """Submit a command: None when accepted, else the reason it was refused."""
        ...

    def reload(self) -> str | None:
        """Re-read the configuration: None when accepted, else the reason it was refused."""
        ...


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a connected AF_UNIX socket."""
    cred = unixsock.peer_credentials(sock)
    return None if cred is None else cred[1]


class ControlServer:
    """The AF_UNIX control server; use ``async with ControlServer(path, target):``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        target: ControlTarget,
        *,
        staging: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = Path(path)
        # Where the socket is bound and given its mode before it is renamed to ``path``:
        # a directory only we can write (the daemon's private one) when ``path`` is in a
        # directory another user may change; no path there is ever followed.
        self.staging = Path(staging) if staging is not None else self.path.parent
        self._target = target
        self._server: asyncio.AbstractServer | None = None
        self._inode: tuple[int, int] | None = None
        self._open_by_uid: dict[int | None, int] = {}
        self._refused_logged = -60.0
        self._farewells = 0

    async def start(self) -> None:
        """Bind the socket (removing a stale one), make it world-connectable, listen."""
        if self._server is not None:
            return
        parent = self.path.parent
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(parent))
        parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        # Connectable by everyone like 3.0.6's API socket; writes are policed per request.
        sock, self._inode = unixsock.bind_staged(
            self.path, self.staging, 0o666, ControlError, "control socket"
        )
        self._server = await asyncio.start_unix_server(
            self._serve, sock=sock, limit=MAX_REQUEST_LINE + 1
        )
        log.info("Control socket listening on %s", self.path)

    async def close(self) -> None:
        """Stop listening, drop the socket file (if it is still ours)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2.0)
        unixsock.unlink_if_ours(self.path, self._inode)

    async def __aenter__(self) -> ControlServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- per connection ------------------------------------------------------------------

    def _admit(self, uid: int | None) -> bool:
        """Count a new connection of ``uid`` in, unless it is over its user's share."""
        if uid != 0:
            unprivileged = sum(n for u, n in self._open_by_uid.items() if u != 0)
            if (
                self._open_by_uid.get(uid, 0) >= MAX_CONNECTIONS_PER_UID
                or unprivileged >= MAX_UNPRIVILEGED_CONNECTIONS
            ):
                now = time.monotonic()
                if now - self._refused_logged >= 10.0:
                    self._refused_logged = now
                    log.warning(
                        "Control connections from uid %s refused: %d open (limits %d per "
                        "user, %d for all users but root)",
                        uid, unprivileged, MAX_CONNECTIONS_PER_UID,
                        MAX_UNPRIVILEGED_CONNECTIONS,
                    )  # fmt: skip
                return False
        self._open_by_uid[uid] = self._open_by_uid.get(uid, 0) + 1
        return True

    async def _turn_away(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Tell a connection over its user's share why it is closed, then close it.

        What the client already sent is read for a moment first (closing on unread data
        would reset the connection before the client reads the reason); at most
        ``MAX_UNPRIVILEGED_CONNECTIONS`` such farewells wait at once, the rest are closed
        straight away."""
        with contextlib.suppress(Exception):
            writer.write(encode_error(TOO_MANY_CONNECTIONS))
            if self._farewells < MAX_UNPRIVILEGED_CONNECTIONS:
                self._farewells += 1
                try:
                    writer.write_eof()
                    await asyncio.wait_for(reader.read(MAX_REQUEST_LINE), 0.2)
                finally:
                    self._farewells -= 1
        writer.close()

    def _release(self, uid: int | None) -> None:
        left = self._open_by_uid.pop(uid, 1) - 1
        if left:
            self._open_by_uid[uid] = left

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        uid = peer_uid(sock) if sock is not None else None
        if not self._admit(uid):
            await self._turn_away(reader, writer)
            return
        try:
            await self._converse(reader, writer, uid)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("Control connection (uid %s) failed", uid)
        finally:
            self._release(uid)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _converse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, uid: int | None
    ) -> None:
        while True:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\n"), IDLE_TIMEOUT)
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    writer.write(encode_error("request not terminated by a newline"))
                    await writer.drain()
                return
            except asyncio.LimitOverrunError:
                log.warning("Control request from uid %s over %d bytes", uid, MAX_REQUEST_LINE)
                writer.write(encode_error(f"request too long (limit {MAX_REQUEST_LINE} bytes)"))
                await writer.drain()
                return
            except TimeoutError:
                return
            writer.write(self._answer(line, uid))
            await writer.drain()

    def _answer(self, line: bytes, uid: int | None) -> bytes:
        try:
            request = decode_request(line)
        except ControlError as exc:
            log.warning("Bad control request from uid %s: %s", uid, exc)
            return encode_error(str(exc))
        if request.mutating and uid != 0:
            log.warning("Refused %s request from uid %s", request.op.value, uid)
            return encode_error(PERMISSION_DENIED)
        try:
            return self._dispatch(request)
        except Exception as exc:
            log.exception("Control request %s failed", request.op.value)
            return encode_error(f"internal error: {exc}")

    def _dispatch(self, request: Request) -> bytes:
        if request.op is Op.PING:
            return encode_ok(version=pyhb.__version__)
        if request.op is Op.SNAPSHOT:
            data = snapshot_to_json(self._target.snapshot())
            data["params"].setdefault("hbversion", HBVERSION)
            return encode_ok(snapshot=data)
        if request.op is Op.STATUS:
            return encode_ok(status=self._target.status())
        if request.op is Op.RELOAD:
            refusal = self._target.reload()
        else:
            cmd = request.to_command()
            assert cmd is not None  # every other op maps to a command
            refusal = self._target.request(cmd)
        if refusal is not None:
            return encode_error(refusal)
        log.info(
            "Control request accepted: %s %s", request.op.value, request.hold or request.group or ""
        )
        return encode_ok()
