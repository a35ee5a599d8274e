"""The ``Instant`` value passed into the sans-I/O core, and the clocks that make one.

Only this module and ``pyhb.net.transport`` read the system clock.
"""

from __future__ import annotations

import time
from typing import NamedTuple, Protocol


class Instant(NamedTuple):
    """One reading of time: ``mono`` drives every deadline, ``wall`` only wire/log text.

    (A named tuple: one is made for every input the engine gets.)"""

    mono: float
    wall: float

    def after(self, seconds: float) -> Instant:
        """The instant ``seconds`` later on both clocks."""
        return Instant(self.mono + seconds, self.wall + seconds)


class Clock(Protocol):
    def now(self) -> Instant: ...


class SystemClock:
    """Monotonic + wall clock of the running system."""

    def now(self) -> Instant:
        return Instant(time.monotonic(), time.time())
