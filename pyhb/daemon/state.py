"""The state directory: the generation number and the node UUID; at start also the
private run directory and a fresh ``HA_RSCTMP`` (``prepare_state``).

Formats are 3.0.6's so a migrating node keeps its identity: ``hb_generation`` holds the
number right-aligned in 15 characters plus a newline, raised by one at every start;
``hb_uuid`` holds 16 raw bytes, created once. Both are written by ``write_durably``
(temporary file, fsync, rename, directory fsync). An unreadable
generation file starts again from the current time (3.0.6 restarts at 1, which makes
peers drop us as a replay: docs/protocol.md#dep-generation).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import uuid as uuidlib
from pathlib import Path

from pyhb.daemon import private
from pyhb.daemon.paths import Paths

log = logging.getLogger(__name__)


def prepare_state(paths: Paths, hbgenmethod: str) -> tuple[int, bytes]:
    """This start's generation and the node's uuid; root's private run directory and
    a fresh HA_RSCTMP in it."""
    generation = next_generation(paths.statedir, hbgenmethod)
    uuid = node_uuid(paths.statedir)
    log.info("Heartbeat generation: %d", generation)
    private.ensure(paths.private_dir)
    shutil.rmtree(paths.rsctmp, ignore_errors=True)
    paths.rsctmp.mkdir(mode=0o755)
    log.info("Resource scripts' HA_RSCTMP is %s (root's own directory)", paths.rsctmp)
    return generation, uuid


def next_generation(statedir: Path, method: str = "file") -> int:
    """Read, raise and persist the generation; ``time`` method uses the clock."""
    now = int(time.time())
    if method == "time":
        return now
    path = statedir / "hb_generation"
    try:
        previous = int(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        log.warning("No Previous generation - starting at %d", now + 1)
        previous = now
    except (ValueError, OSError):
        log.error("BROKEN previous generation - starting at %d", now + 1)
        previous = now
    generation = previous + 1
    write_durably(path, f"{generation:15d}\n".encode("ascii"))
    return generation


def write_durably(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new one,
    never a torn one: a temporary file written and synced, renamed over ``path``, and the
    directory synced so the rename itself survives a power loss."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dirfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def node_uuid(statedir: Path) -> bytes:
    """The node's 16-byte UUID, created on first use."""
    path = statedir / "hb_uuid"
    try:
        data = path.read_bytes()
        if len(data) == 16:
            return data
        log.error("%s is not 16 bytes long; generating a new uuid", path)
    except FileNotFoundError:
        log.info("No uuid found for current node - generating a new uuid.")
    data = uuidlib.uuid4().bytes
    write_durably(path, data)
    return data


class LoadAvg:
    """Reads the first line of /proc/loadavg, as 3.0.6 puts it in the ``ld`` field.

    The file stays open and is re-read with one ``pread`` at offset 0 per call (the
    kernel regenerates it), instead of open/read/close for every heartbeat.
    """

    def __init__(self, path: str = "/proc/loadavg") -> None:
        self.path = path
        self._fd: int | None = None

    def __call__(self) -> str:
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            data = os.pread(self._fd, 256, 0)
        except OSError:
            self.close()
            return "n/a"
        return data.split(b"\n", 1)[0].strip().decode("ascii", "replace") or "n/a"

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
