"""The pid file: 3.0.6's format (pid right-aligned in 10 characters + newline).

A stale file (process gone, or not a heartbeat) is replaced; a live one means the
daemon is already running.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PIDFILE = Path("/run/heartbeat.pid")


def read_pid(path: Path) -> int | None:
    """The pid recorded in ``path``, or None if there is no usable file."""
    try:
        text = path.read_text(encoding="ascii").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists and looks like a heartbeat daemon."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"heartbeat" in cmdline or b"pyhb" in cmdline


def running_pid(path: Path) -> int | None:
    """The pid of the running daemon, or None (no file, or a stale one)."""
    pid = read_pid(path)
    return pid if pid is not None and pid_alive(pid) else None


def write_pidfile(path: Path, pid: int | None = None) -> None:
    """Write the pid file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(f"{pid or os.getpid():10d}\n", encoding="ascii")
    os.replace(tmp, path)


def remove_pidfile(path: Path) -> None:
    """Remove the pid file if it is ours."""
    if read_pid(path) == os.getpid():
        path.unlink(missing_ok=True)
