"""What resource monitoring knows about one monitored resource, and its restart rule
(docs/monitoring.md).

A check that fails is counted with its time; failures older than the monitor's
``window`` are forgotten. While the failures left number at most ``restarts``, the
resource is restarted in place; one more, and its group is handed to the peer
(``MonitorFailure(move=True)``). ``MonitorView`` is the read-only record a status
command or a metrics exporter renders. Pure: imports stdlib and ``pyhb.config`` only.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pyhb.config.monitors import MonitorSpec


@dataclass(frozen=True, slots=True)
class MonitorView:
    """One monitored resource, as last seen; times are wall-clock seconds."""

    group: str  # the group key (its first resource as haresources writes it)
    resource: str  # as haresources writes it
    check: str  # "status" or the check command
    interval: float
    last_check: float | None  # None: not checked yet (or not held here)
    last_result: str | None  # "ok", "failed", "timeout"; None: not checked yet
    last_output: str
    failures_in_window: int
    restarts: int  # restarts in place since start or the last cleanup
    failed: bool  # its group failed here and is not taken back until a cleanup


@dataclass(slots=True)
class ResourceHealth:
    """The monitor state of one resource of one group."""

    group: str
    index: int  # position of the resource in its group
    spec: MonitorSpec
    last_check: float | None = None
    last_result: str | None = None
    last_output: str = ""
    failures: deque[float] = field(default_factory=deque)  # monotonic times
    restarts: int = 0

    @property
    def check_text(self) -> str:
        return "status" if self.spec.check is None else " ".join(self.spec.check)

    def checked(self, result: str, output: str, wall: float) -> None:
        """Record a check's outcome (``ok``, ``failed`` or ``timeout``)."""
        self.last_check = wall
        self.last_result = result
        self.last_output = output

    def in_window(self, mono: float) -> int:
        """Failures within the window ending at ``mono``."""
        while self.failures and self.failures[0] <= mono - self.spec.window:
            self.failures.popleft()
        return len(self.failures)

    def failure(self, mono: float) -> bool:
        """Count a failure at ``mono``; True when the group must move (restarts used up)."""
        self.failures.append(mono)
        move = self.in_window(mono) > self.spec.restarts
        if not move:
            self.restarts += 1
        return move

    def clear(self) -> None:
        """``pyhb cleanup``: the failures and restarts are forgotten."""
        self.failures.clear()
        self.restarts = 0

    def view(self, mono: float, *, failed: bool) -> MonitorView:
        return MonitorView(
            group=self.group,
            resource=self.spec.resource,
            check=self.check_text,
            interval=self.spec.interval,
            last_check=self.last_check,
            last_result=self.last_result,
            last_output=self.last_output,
            failures_in_window=self.in_window(mono),
            restarts=self.restarts,
            failed=failed,
        )
