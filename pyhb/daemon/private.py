"""Root's own run directory: where nothing another user can write is ever followed.

Heartbeat's run directory, ``/run/heartbeat``, is shared: Debian's tmpfiles makes it
``hacluster:haclient 0750`` so that ipfail, running as hacluster, reaches the API socket.
Whoever owns it can swap any entry for a symlink between two system calls of ours, so
root never acts on a path inside it that it has not just made itself with a call that
does not follow links. Root's own files live in a private directory instead:

* ``rsctmp`` (``HA_RSCTMP``), where resource scripts running as root keep pid files, and
  from which the ARP agent reads a pid to signal;
* the control socket while it is made: bound and given its mode there, then renamed
  into the run directory (``rename`` replaces the entry, it never follows it).

The private directory is ``/run/pyhb`` for the standard run directory, else a sibling of
the run directory named ``<rundir>.pyhb`` (several nodes on one host). ``ensure`` makes
it 0700, owned by the daemon's user, checks that every directory above it is writable
only by root (or sticky, like /tmp), and refuses to start otherwise, saying why.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_RUNDIR = Path("/run/heartbeat")
DEFAULT_PRIVATE = Path("/run/pyhb")


class PrivateDirError(OSError):
    """The private directory cannot be made safe."""


def private_dir(rundir: Path) -> Path:
    """The private directory that goes with ``rundir``."""
    if rundir == DEFAULT_RUNDIR:
        return DEFAULT_PRIVATE
    return rundir.with_name(f"{rundir.name}.pyhb")


def _check_ancestors(path: Path) -> None:
    uid = os.geteuid()
    real = Path(os.path.realpath(path.parent))
    for parent in (real, *real.parents):
        st = parent.lstat()
        if st.st_uid not in (0, uid):
            raise PrivateDirError(
                f"{parent} is owned by uid {st.st_uid}: it could replace {path}; "
                "use a run directory whose parents only root can change"
            )
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX:
            raise PrivateDirError(
                f"{parent} is writable by group or others (mode "
                f"{stat.S_IMODE(st.st_mode):o}): they could replace {path}"
            )


def ensure(path: Path) -> Path:
    """Make ``path`` a private directory (0700, ours) and return it.

    Raises:
        PrivateDirError: it is a symlink or not a directory, belongs to someone else, or a
            directory above it can be changed by another user.
    """
    _check_ancestors(path)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise PrivateDirError(f"{path} is not a directory of its own: {exc.strerror}") from exc
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            raise PrivateDirError(
                f"{path} belongs to uid {st.st_uid}, not to us; remove it and start again"
            )
        if stat.S_IMODE(st.st_mode) != 0o700:
            log.info("Making %s private (mode %o -> 700)", path, stat.S_IMODE(st.st_mode))
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)
    return path
