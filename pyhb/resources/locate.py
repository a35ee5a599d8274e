"""Finding a resource script by name, and refusing scripts that are not safe to run as root.

Search order (heartbeat's ResourceManager ``scriptpath``: ``$HA_RESOURCEDIR`` then
``/etc/init.d``, the first regular executable file wins), extended with pyhb's own agents:

1. ``CONFDIR/resource.d``
2. pyhb's ``resource.d`` (the source tree's, else ``/usr/share/pyhb/resource.d``)
3. ``/etc/init.d``

Security, as keepalived checks its notify scripts: names containing ``/`` or ``..`` are
refused, and when the daemon runs as root the script and the directory it was found in
must be owned by root and not writable by group or other. A script that exists but fails
the check is refused — the search does not fall through to a later directory.

Imports ``os``, ``stat``, ``pathlib`` and ``pyhb.errors`` only.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import pyhb
from pyhb.errors import PyhbError

INITDIR = Path("/etc/init.d")
SYSTEM_AGENT_DIR = Path("/usr/share/pyhb/resource.d")


class ScriptError(PyhbError):
    """A resource script cannot be run."""


class ScriptNotFound(ScriptError):
    """No directory holds an executable of that name (heartbeat: ``Cannot locate``)."""


class ScriptRefused(ScriptError):
    """The script exists but fails the name, ownership or permission check."""


def pyhb_agent_dir() -> Path:
    """pyhb's own ``resource.d``: next to the package in a source tree, else the system one."""
    tree = Path(pyhb.__file__).resolve().parent.parent / "resource.d"
    return tree if tree.is_dir() else SYSTEM_AGENT_DIR


def default_resource_dirs(confdir: Path) -> tuple[Path, ...]:
    """The search path for ``confdir`` (e.g. ``/etc/ha.d``)."""
    return (confdir / "resource.d", pyhb_agent_dir(), INITDIR)


def _unsafe(st: os.stat_result) -> str | None:
    if st.st_uid != 0:
        return f"owned by uid {st.st_uid}, not root"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by group or other (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def check_name(name: str) -> None:
    """Refuse names that could leave the search directories."""
    if not name or "/" in name or ".." in name or "\0" in name:
        raise ScriptRefused(f"refusing resource script name {name!r}")


def locate(name: str, dirs: Sequence[Path], *, enforce_owner: bool | None = None) -> Path:
    """The script to run for resource ``name``.

    Raises:
        ScriptNotFound: no directory has a regular executable file of that name.
        ScriptRefused: bad name, or the first match fails the root-ownership check
            (enforced by default when running as root).
    """
    check_name(name)
    enforce = os.geteuid() == 0 if enforce_owner is None else enforce_owner
    for d in dirs:
        candidate = d / name
        try:
            st = candidate.stat()
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or not os.access(candidate, os.X_OK):
            continue
        if enforce:
            problem = _unsafe(st)
            if problem is None:
                try:
                    problem = _unsafe(d.stat())
                    problem = problem and f"its directory {d} is {problem}"
                except OSError as exc:
                    problem = f"its directory cannot be checked: {exc}"
            if problem:
                raise ScriptRefused(f"refusing resource script {candidate}: {problem}")
        return candidate
    raise ScriptNotFound(f"Cannot locate resource script {name}")


# Heartbeat's stock resource.d wrappers for the agents pyhb runs in-process: text that
# identifies them (read once, at start, never at takeover).
STOCK_WRAPPER_MARKERS: dict[str, bytes] = {
    "IPaddr": b"wrapper of OCF RA IPaddr,",
    "IPaddr2": b"wrapper of OCF RA IPaddr2,",
    "SendArp": b"convert it to calling OCF counterpart",
}


def builtin_may_replace(name: str, path: Path) -> bool:
    """May pyhb's built-in agent ``name`` stand in for the script found at ``path``?

    Yes for pyhb's own agent and for Heartbeat's unmodified stock wrapper; no for anything
    else, so a site's own script of that name is run as it always was.
    """
    if path.parent.resolve() in {pyhb_agent_dir().resolve(), SYSTEM_AGENT_DIR}:
        return True
    marker = STOCK_WRAPPER_MARKERS.get(name)
    if marker is None:
        return False
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return marker in head
