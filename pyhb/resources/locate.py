"""Finding a resource script by name, and refusing scripts that are not safe to run as root.

The search path and the search are ``pyhb.shipped``'s, the same that ``pyhb check`` uses.

Security, as keepalived checks its notify scripts: names containing ``/`` or ``..`` are
refused, and when the daemon runs as root the script and the directory it was found in
must be owned by root and not writable by group or other. A script that exists but fails
the check is refused — the search does not fall through to a later directory.

Imports ``os``, ``stat``, ``pathlib``, ``pyhb.errors``, ``pyhb.agents.names`` and
``pyhb.shipped`` only.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from pyhb.agents.names import ADDRESS_AGENTS, SENDARP
from pyhb.errors import PyhbError
from pyhb.shipped import agent_dir, find_script, unsafe_name_reason


class ScriptError(PyhbError):
    """A resource script cannot be run."""


class ScriptNotFound(ScriptError):
    """No directory holds an executable of that name (heartbeat: ``Cannot locate``)."""


class ScriptRefused(ScriptError):
    """The script exists but fails the name, ownership or permission check."""


def _unsafe(st: os.stat_result) -> str | None:
    if st.st_uid != 0:
        return f"owned by uid {st.st_uid}, not root"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by group or other (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def locate(name: str, dirs: Sequence[Path], *, enforce_owner: bool | None = None) -> Path:
    """The script to run for resource ``name``.

    Raises:
        ScriptNotFound: no directory has a regular executable file of that name.
        ScriptRefused: bad name, or the match fails the root-ownership check (enforced by
            default when running as root). A match that fails is refused: the search does
            not fall through to a later directory.
    """
    reason = unsafe_name_reason(name)
    if reason:
        raise ScriptRefused(reason)
    candidate = find_script(name, dirs)
    if candidate is None:
        raise ScriptNotFound(f"Cannot locate resource script {name}")
    enforce = os.geteuid() == 0 if enforce_owner is None else enforce_owner
    if enforce:
        directory = candidate.parent
        problem = _unsafe(candidate.stat())
        if problem is None:
            try:
                problem = _unsafe(directory.stat())
                problem = problem and f"its directory {directory} is {problem}"
            except OSError as exc:
                problem = f"its directory cannot be checked: {exc}"
        if problem:
            raise ScriptRefused(f"refusing resource script {candidate}: {problem}")
    return candidate


# Scripts the built-in agents may stand in for, by text that identifies them (read once, at
# start, never at takeover): Heartbeat's stock resource.d wrappers, and pyhb's own agent
# scripts wherever ``pyhb install`` or a package put a copy.
REPLACEABLE_MARKERS: dict[str, tuple[bytes, ...]] = {
    **{
        name: (
            f"wrapper of OCF RA {name},".encode(),
            f'-m pyhb.agents.ipaddr --kind {name} "$@"'.encode(),
        )
        for name in ADDRESS_AGENTS
    },
    SENDARP: (b"convert it to calling OCF counterpart", b'-m pyhb.agents.sendarp "$@"'),
}


def builtin_may_replace(name: str, path: Path) -> bool:
    """May pyhb's built-in agent ``name`` stand in for the script found at ``path``?

    Yes for pyhb's own agent (in its package or a copy of it) and for Heartbeat's
    unmodified stock wrapper; no for anything else, so a site's own script of that name is
    run as it always was.
    """
    if path.parent.resolve() == agent_dir().resolve():
        return True
    markers = REPLACEABLE_MARKERS.get(name, ())
    if not markers:
        return False
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return any(marker in head for marker in markers)
