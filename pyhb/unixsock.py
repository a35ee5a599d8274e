"""Listening AF_UNIX sockets in a run directory another user may write to.

The control socket and Heartbeat's client API socket live in /run/heartbeat, which
Debian's heartbeat package makes ``hacluster:haclient``: root must never give a path
there to ``chmod`` or follow a link there. So a socket is bound in the daemon's private
directory (``staging``), given its mode there, and renamed into place (a rename replaces
the entry, never follows it); at close it is removed only if it is still the one we made
(docs/operations.md#run-directories). Also the peer's credentials, read from the kernel
(``SO_PEERCRED``), never from what a client says.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import stat
import struct
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_PEERCRED = struct.Struct("3i")  # struct ucred {pid_t pid; uid_t uid; gid_t gid;}

Inode = tuple[int, int]
Failure = Callable[[str], Exception]


def peer_credentials(sock: socket.socket | None) -> tuple[int, int, int] | None:
    """(pid, uid, gid) of the process at the other end of a connected AF_UNIX socket."""
    if sock is None:
        return None
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    except OSError:
        return None
    pid, uid, gid = _PEERCRED.unpack(raw)
    return pid, uid, gid


def remove_stale(path: Path, failure: Failure) -> None:
    """Remove a socket file nobody listens on; refuse (``failure``) to touch a live one
    or anything that is not a socket."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise failure(f"{path} exists and is not a socket; not removing it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
    except OSError as exc:
        if exc.errno not in (errno.ECONNREFUSED, errno.ENOENT):
            raise failure(f"cannot probe existing socket {path}: {exc}") from exc
        log.info("Removing stale socket %s", path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        raise failure(f"another daemon is already listening on {path}")
    finally:
        probe.close()


def bind_staged(
    path: Path, staging: Path, mode: int, failure: Failure, what: str
) -> tuple[socket.socket, Inode]:
    """A socket bound at ``path`` with ``mode``, made in ``staging`` and renamed in (a
    stale socket at ``path`` is removed first); also the inode it got, for
    ``unlink_if_ours``. Not listening yet."""
    remove_stale(path, failure)
    staged = staging / f".{path.name}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        staged.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(staged))
        os.chmod(staged, mode)
        st = staged.lstat()
        os.rename(staged, path)
    except OSError as exc:
        sock.close()
        with contextlib.suppress(OSError):
            staged.unlink()
        raise failure(f"cannot create {what} {path}: {exc}") from exc
    return sock, (st.st_dev, st.st_ino)


def unlink_if_ours(path: Path, inode: Inode | None) -> None:
    """Remove ``path`` if it is still the socket ``bind_staged`` made."""
    if inode is None:
        return
    try:
        st = path.lstat()
        if (st.st_dev, st.st_ino) == inode:
            path.unlink()
    except FileNotFoundError:
        pass
