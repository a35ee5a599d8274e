"""Reading config files into numbered lines, and the issue/error types that name them.

Parsers collect their issues in an ``IssueList``. An issue renders as
``path:line: severity: message`` (line 0 = the file as a whole,
rendered ``path: severity: message``). ``read_config_bytes`` is the one way a config file
is read: it refuses anything but a regular file (a FIFO would block, ``/dev/zero`` never
ends) and files over ``MAX_CONFIG_BYTES``. Imports stdlib and ``pyhb.errors`` only.
"""

from __future__ import annotations

import enum
import os
import stat
from dataclasses import dataclass

from pyhb.errors import PyhbError

#: The largest config file read (ha.cf, authkeys, haresources); real ones are a few KiB.
MAX_CONFIG_BYTES = 1 << 20


class Severity(enum.StrEnum):
    """An error makes the configuration unusable; a warning is only reported."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem, at ``line`` of ``path`` (0: the file as a whole)."""

    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


class IssueList:
    """The issues one parser finds in the file ``path``, in the order found."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.issues: list[ConfigIssue] = []

    def issue(self, line: int, message: str, severity: Severity = Severity.ERROR) -> None:
        self.issues.append(ConfigIssue(self.path, line, severity, message))

    def error(self, line: int, message: str) -> None:
        self.issue(line, message, Severity.ERROR)

    def warning(self, line: int, message: str) -> None:
        self.issue(line, message, Severity.WARNING)


class ConfigError(PyhbError):
    """The configuration is unusable; carries every issue found (errors and warnings)."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity is Severity.ERROR]
        super().__init__("\n".join(str(i) for i in errors) or "configuration error")


class UnreadableFile(PyhbError):
    """A config file cannot be read; the message says why (without the path)."""


def read_config_bytes(path: str, limit: int = MAX_CONFIG_BYTES) -> tuple[bytes, int]:
    """(content, st_mode) of the regular file ``path``, at most ``limit`` bytes long.

    Opened non-blocking (a FIFO cannot hang the open) and checked with fstat before a byte
    is read. Raises ``UnreadableFile`` with the reason."""
    data, info = read_config_file(path, limit)
    return data, info.st_mode


def read_config_file(path: str, limit: int = MAX_CONFIG_BYTES) -> tuple[bytes, os.stat_result]:
    """``read_config_bytes`` with the whole fstat of the file that was read (its owner)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"not a regular file ({_kind(info.st_mode)})")
        if info.st_size > limit:
            raise UnreadableFile(
                f"file is too large ({info.st_size} bytes; the limit is {limit} bytes)"
            )
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 65536):
            size += len(chunk)
            if size > limit:  # grew while being read
                raise UnreadableFile(f"file is too large (over the limit of {limit} bytes)")
            chunks.append(chunk)
        return b"".join(chunks), info
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((word for test, word in kinds if test(mode)), "not a file")
