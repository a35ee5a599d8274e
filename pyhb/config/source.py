"""Reading config files into numbered lines, and the issue/error types that name them.

An issue renders as ``path:line: severity: message`` (line 0 = the file as a whole,
rendered ``path: severity: message``). Imports stdlib and ``pyhb.errors`` only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pyhb.errors import PyhbError


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class SourceLine:
    path: str
    lineno: int
    text: str


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


class ConfigError(PyhbError):
    """The configuration is unusable; carries every issue found (errors and warnings)."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity is Severity.ERROR]
        super().__init__("\n".join(str(i) for i in errors) or "configuration error")
