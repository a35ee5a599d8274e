"""The FIFO ``/var/lib/heartbeat/fifo``: requests from Heartbeat's own shell tools.

Heartbeat 3.0.6's ``hb_standby`` and ``hb_takeover`` (``/usr/share/heartbeat``), and any
site script using ``ha_clustermsg`` from ``/etc/ha.d/shellfuncs``, write one classic
message (``>>>`` line, ``name=value`` lines, ``<<<`` line) into this named pipe. On a
node moved to pyhb those tools stay installed with the package; without a reader their
``open()`` blocks for ever. So, like 3.0.6, the daemon creates the FIFO (mode 0600) if
it is missing, keeps it open for reading and writing (writers never block, the reader
never sees end-of-file), and turns

* ``t=ask_resources`` ``rsc_hold=SET`` ``info=me`` into ``Standby(SET)`` (hb_standby);
* ``t=hb_takeover`` ``rsc_hold=WORD`` into ``Takeover`` of the set pyhb's own
  hb_takeover asks for with that word.

Any other message is logged and ignored (pyhb does not relay arbitrary messages). Only
root can open the FIFO, so requests need no further check.

Imports ``asyncio``, ``os``, ``stat`` and ``core.events``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from pathlib import Path
from typing import Protocol

from pyhb.core.events import TAKEOVER_SETS, Command, RscHold, Standby, Takeover

log = logging.getLogger(__name__)

#: A message longer than this (no ``<<<`` yet) is garbage: the buffer is dropped.
MAX_PENDING = 64 * 1024

STANDBY_WORDS = {"all": RscHold.ALL, "foreign": RscHold.FOREIGN, "local": RscHold.LOCAL}


class FifoTarget(Protocol):
    def request(self, cmd: Command) -> str | None:
        """Submit a command: None when accepted, else the reason it was refused."""
        ...


def split_messages(buf: bytes) -> tuple[list[dict[str, str]], bytes]:
    """Complete classic messages in ``buf`` (as field dicts) and the unfinished rest.

    Lines outside a ``>>>``/``<<<`` pair are skipped, as are lines without ``=``.
    """
    messages: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    consumed = 0
    pos = 0
    while (end := buf.find(b"\n", pos)) >= 0:
        line = buf[pos:end].decode("utf-8", "replace").strip()
        pos = end + 1
        if line == ">>>":
            current = {}
        elif line == "<<<":
            if current is not None:
                messages.append(current)
            current = None
            consumed = pos
        elif current is not None:
            name, sep, value = line.partition("=")
            if sep and name:
                current[name] = value
        else:
            consumed = pos
    rest = buf[consumed:]
    if len(rest) > MAX_PENDING:
        log.warning("FIFO: %d bytes without a complete message; dropped", len(rest))
        rest = b""
    return messages, rest


def to_command(fields: dict[str, str]) -> Command | str:
    """The command a FIFO message asks for, or why it is ignored."""
    kind = fields.get("t", "")
    word = fields.get("rsc_hold", "")
    if kind == "ask_resources" and fields.get("info") == "me" and word in STANDBY_WORDS:
        return Standby(STANDBY_WORDS[word])
    if kind == "hb_takeover" and word in TAKEOVER_SETS:
        return Takeover(TAKEOVER_SETS[word])
    return f"unsupported message t={kind} rsc_hold={word} info={fields.get('info', '')}"


def prepare_fifo(path: Path) -> None:
    """Make ``path`` a FIFO of mode 0600 (a leftover regular file there is replaced)."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISFIFO(st.st_mode):
            os.chmod(path, 0o600)
            return
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path} exists and is neither a FIFO nor a regular file")
        log.warning("Replacing regular file %s by a FIFO", path)
        path.unlink()
    log.info("Creating FIFO %s.", path)
    os.mkfifo(path, 0o600)
    os.chmod(path, 0o600)  # whatever the umask


class FifoReader:
    """Reads the FIFO on the running loop; ``start()`` then ``close()``."""

    def __init__(self, path: str | os.PathLike[str], target: FifoTarget) -> None:
        self.path = Path(path)
        self._target = target
        self._fd: int | None = None
        self._pending = b""

    def start(self) -> None:
        prepare_fifo(self.path)
        # O_RDWR: we are a writer too, so the pipe never reports end-of-file and writers
        # never block waiting for a reader.
        fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        self._fd = fd
        asyncio.get_running_loop().add_reader(fd, self._readable)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(fd)
        os.close(fd)

    def _readable(self) -> None:
        if self._fd is None:
            return
        try:
            data = os.read(self._fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        messages, self._pending = split_messages(self._pending + data)
        for fields in messages:
            try:
                self.handle(fields)
            except Exception:  # one bad request must not cost the others or the loop
                log.exception("FIFO request %s failed", fields.get("t"))

    def handle(self, fields: dict[str, str]) -> None:
        cmd = to_command(fields)
        if isinstance(cmd, str):
            log.warning("FIFO: %s; ignored", cmd)
            return
        refusal = self._target.request(cmd)
        if refusal is not None:
            log.warning("FIFO request %s refused: %s", fields.get("t"), refusal)
        else:
            log.info("FIFO request accepted: %s %s", fields.get("t"), fields.get("rsc_hold"))
