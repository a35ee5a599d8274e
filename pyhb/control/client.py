"""A blocking control-socket client for the command-line tools.

One connection per call: send one request line, read one response line, close. Failures
are told apart, because the tools report them differently: ``DaemonNotRunning`` (no socket,
nobody listening), ``ControlTimeout`` (no answer in time), ``RequestRefused`` (the daemon
said no), ``ControlError`` (anything else). Imports ``socket``, ``control.protocol`` and the
core's data types only: no asyncio and no cryptography, so the tools start fast.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from pathlib import Path
from typing import Any

from pyhb.control.protocol import (
    DEFAULT_RUN_DIR,
    MAX_RESPONSE_LINE,
    SOCKET_NAME,
    ControlError,
    Op,
    Request,
    decode_response,
    encode_request,
    snapshot_from_json,
)
from pyhb.core.events import RscHold
from pyhb.core.snapshot import Snapshot

#: cl_status arms a 5 s alarm; the tools wait as long.
DEFAULT_TIMEOUT = 5.0

_NOT_RUNNING_ERRNOS = frozenset({errno.ENOENT, errno.ECONNREFUSED, errno.ENOTDIR})


class DaemonNotRunning(ControlError):
    """Nothing listens on the control socket."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"heartbeat is not running (no control socket at {path})")
        self.path = path
        self.reason = reason


class ControlAccessDenied(ControlError):
    """The socket exists but this user may not connect to it (directory or file mode)."""


class ControlTimeout(ControlError):
    """The daemon did not answer in time."""


class RequestRefused(ControlError):
    """The daemon answered ``ok: false``; the message is its reason."""


def run_dir(explicit: str | None = None) -> str:
    """The run directory: ``explicit``, else ``$PYHB_RUN_DIR``, else /run/heartbeat."""
    return explicit or os.environ.get("PYHB_RUN_DIR") or DEFAULT_RUN_DIR


def socket_path(explicit_run_dir: str | None = None) -> str:
    """The control socket's path inside the run directory."""
    return str(Path(run_dir(explicit_run_dir)) / SOCKET_NAME)


def split_run_dir(args: list[str]) -> tuple[str | None, list[str]]:
    """Strip a leading ``--run-dir DIR`` / ``--run-dir=DIR``, the one option pyhb adds to
    heartbeat's own tools (``cl_status``, ``hb_standby``, ``hb_takeover``)."""
    if args and args[0] == "--run-dir" and len(args) >= 2:
        return args[1], args[2:]
    if args and args[0].startswith("--run-dir="):
        return args[0].split("=", 1)[1], args[1:]
    return None, args


class ControlClient:
    """Talks to one daemon's control socket."""

    def __init__(self, path: str | None = None, timeout: float | None = None) -> None:
        self.path = path or socket_path()
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout

    def call(self, request: Request) -> dict[str, Any]:
        """Send one request; return the success response or raise (see module doc)."""
        deadline = time.monotonic() + self.timeout
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            self._connect(sock)
            sock.sendall(encode_request(request))
            sock.shutdown(socket.SHUT_WR)
            line = self._read_line(sock, deadline)
        except TimeoutError:
            raise ControlTimeout(f"no answer from {self.path} within {self.timeout:g} s") from None
        except ControlError:
            raise
        except OSError as exc:
            raise ControlError(f"control socket {self.path}: {exc.strerror or exc}") from exc
        finally:
            sock.close()
        response = decode_response(line)
        if not response["ok"]:
            raise RequestRefused(response["error"])
        return response

    def _connect(self, sock: socket.socket) -> None:
        try:
            sock.connect(self.path)
        except OSError as exc:
            if exc.errno in _NOT_RUNNING_ERRNOS:
                raise DaemonNotRunning(self.path, exc.strerror or str(exc)) from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise ControlAccessDenied(f"permission denied: {self.path}") from None
            raise

    def _read_line(self, sock: socket.socket, deadline: float) -> bytes:
        buf = bytearray()
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) > MAX_RESPONSE_LINE + 1:
                raise ControlError(f"response from {self.path} too long")
        line, sep, _ = bytes(buf).partition(b"\n")
        if not sep:
            raise ControlError(f"connection to {self.path} closed without a complete answer")
        return line

    # -- conveniences --------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Everything ``cl_status`` can ask."""
        return snapshot_from_json(self.call(Request(Op.SNAPSHOT)).get("snapshot"))

    def status(self) -> dict[str, Any]:
        """The status document (docs/status.md)."""
        doc = self.call(Request(Op.STATUS)).get("status")
        if not isinstance(doc, dict):
            raise ControlError(f"status response from {self.path} carries no document")
        return doc

    def ping(self) -> str:
        """The daemon's pyhb version (proves it answers)."""
        return str(self.call(Request(Op.PING)).get("version", ""))

    def standby(self, hold: RscHold) -> None:
        """Give ``hold`` (from our point of view) to the peer."""
        self.call(Request(Op.STANDBY, hold))

    def takeover(self, hold: RscHold) -> None:
        """Ask the peer to give us ``hold`` (from our point of view)."""
        self.call(Request(Op.TAKEOVER, hold))

    def shutdown(self) -> None:
        """Graceful stop."""
        self.call(Request(Op.SHUTDOWN))

    def cleanup(self, group: str | None = None) -> None:
        """Clear the monitoring failures of ``group`` (None: every group) on this node."""
        self.call(Request(Op.CLEANUP, group=group))

    def reload(self) -> None:
        """Re-read the configuration."""
        self.call(Request(Op.RELOAD))
