"""What resource monitoring knows about one monitored resource, and its restart rule
(docs/monitoring.md).

A check that fails is counted with its time; failures older than the monitor's
``window`` are forgotten. While the failures left number at most ``restarts``, the
resource is restarted in place; one more, and its group is handed to the peer
(``MonitorFailure(move=True)``). ``view`` gives the read-only record the status
document and the metrics render (``core.snapshot.MonitorView``). Pure: imports stdlib,
``pyhb.config`` and ``core.snapshot`` only.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pyhb.config.monitors import MonitorSpec
from pyhb.core.snapshot import MonitorView


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
    restarts: int = 0  # restarts in place asked for (and accepted) since start or cleanup

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
        return self.in_window(mono) > self.spec.restarts

    def clear(self) -> None:
        """``pyhb cleanup``: the failures and restarts are forgotten."""
        self.failures.clear()
        self.restarts = 0

    def view(self, mono: float, *, failed: bool) -> MonitorView:
        """What is shown of it at ``mono``; ``failed``: its group failed here."""
        return MonitorView(
            last_check=self.last_check,
            last_ok=None if self.last_result is None else self.last_result == "ok",
            failures=self.in_window(mono),
            window=self.spec.window,
            restarts=self.restarts,
            cleared=not failed,
        )
