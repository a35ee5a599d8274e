"""What happened since the daemon started, counted for the metrics page (docs/metrics.md).

The daemon feeds ``Counters`` through two calls only: ``observe`` (engine events) and
``group_done`` (a resource group operation finished, with the duration of each script
it ran). Counting costs a few dictionary updates; nothing here is exposed until the
metrics page is served. Imports stdlib, ``core.events`` and the runner's result types.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

from pyhb.core.events import Event, GroupAction, HeartbeatLate
from pyhb.resources.runner import GroupOutcome

#: Script duration buckets, seconds: status runs take milliseconds, starts and stops of
#: real services seconds to minutes.
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass
class Histogram:
    """Bucket counts (not cumulative), the sum and the count of observations."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, value)] += 1
        self.total += value

    def cumulative(self) -> list[tuple[str, float]]:
        out, running = [], 0
        for bound, n in zip((*(str(b) for b in BUCKETS), "+Inf"), self.counts, strict=True):
            running += n
            out.append((bound, float(running)))
        return out


class Counters:
    """What happened since the daemon started, counted."""

    def __init__(self) -> None:
        self.takeovers: Counter[str] = Counter()  # group key -> acquisitions
        self.releases: Counter[str] = Counter()
        self.failovers: Counter[str] = Counter()  # acquisitions as the peer died or stopped
        self.failures: Counter[tuple[str, str]] = Counter()  # (group, takegroup/givegroup)
        self.late: Counter[tuple[str, bool]] = Counter()  # (node, over deadtime)
        self.scripts: dict[tuple[str, str], Histogram] = {}  # (resource, action)

    def observe(self, event: Event) -> None:
        """An engine event (the daemon passes every observation; most are not counted)."""
        if isinstance(event, HeartbeatLate):
            self.late[(event.node, event.over_deadtime)] += 1

    def group_done(self, reason: str, outcome: GroupOutcome) -> None:
        """A group operation finished (``reason`` as the engine gave it)."""
        for step in outcome.steps:
            key = (step.resource, str(step.action))
            hist = self.scripts.get(key)
            if hist is None:
                hist = self.scripts[key] = Histogram()
            hist.observe(max(0.0, step.finished - step.started))
        if not outcome.ok:
            self.failures[(outcome.key, str(outcome.action))] += 1
        elif outcome.action is GroupAction.TAKE:
            self.takeovers[outcome.key] += 1
            if reason == "mach_down":
                self.failovers[outcome.key] += 1
        elif outcome.action is GroupAction.GIVE:
            self.releases[outcome.key] += 1
