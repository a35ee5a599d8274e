"""The pid file: 3.0.6's format (pid right-aligned in 10 characters + newline).

A stale file (process gone, or not a heartbeat) is replaced; a live one means the
daemon is already running.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PIDFILE = Path("/run/heartbeat.pid")
PID_MAX_LIMIT = 1 << 22


def read_pid(path: Path) -> int | None:
    """The pid recorded in ``path``, or None if there is no usable file."""
    try:
        text = path.read_text(encoding="ascii").strip()
        pid = int(text) if text else None
    except (OSError, ValueError):
        return None
    # Linux pids are 1..PID_MAX_LIMIT (2**22); anything else is not a pid at all.
    return pid if pid is not None and 0 < pid <= PID_MAX_LIMIT else None


def is_heartbeat_command(argv: list[bytes]) -> bool:
    """Whether a command line is a heartbeat daemon's: pyhb's or 3.0.6's.

    ``heartbeat ...`` (any directory; 3.0.6 renames its processes ``heartbeat: master
    control process`` and the like), a Python running the ``heartbeat`` or ``pyhb`` entry
    point (``python3 /usr/bin/heartbeat``), or ``python3 -m pyhb`` /
    ``-m pyhb.cli.heartbeat``. A command that merely mentions heartbeat in an argument
    (an editor on ``/etc/ha.d/heartbeat.notes``) is not one.
    """
    if not argv:
        return False
    name = os.path.basename(argv[0].split(b" ", 1)[0])
    if name in (b"heartbeat", b"heartbeat:", b"pyhb"):
        return True
    if not name.startswith(b"python"):
        return False
    args = argv[1:]
    while args and args[0].startswith(b"-") and args[0] not in (b"-m", b"-c"):
        # interpreter options such as -P, -u, -X dev
        args = args[2:] if args[0] in (b"-X", b"-W") else args[1:]
    if len(args) >= 2 and args[0] == b"-m":
        return args[1] in (b"pyhb", b"pyhb.cli.heartbeat")
    return bool(args) and os.path.basename(args[0]) in (b"heartbeat", b"pyhb")


def process_exists(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0; one we may not signal exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists and is a heartbeat daemon."""
    if not process_exists(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return is_heartbeat_command(cmdline.rstrip(b"\0").split(b"\0"))


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
