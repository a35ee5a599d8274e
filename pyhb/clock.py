"""The ``Instant`` value passed into the sans-I/O core.

The core never reads a clock: every input to the engine comes with an ``Instant``.
``pyhb.net.transport`` makes one per wake-up (``mono`` from the event loop's monotonic
clock, ``wall`` from ``time.time()``) and the daemon uses the transport's
(``Transport.now``) for commands and script results; the test simulator makes them from
simulated time. See docs/architecture.md#time.
"""

from __future__ import annotations

from typing import NamedTuple


class Instant(NamedTuple):
    """One reading of time: ``mono`` drives every deadline, ``wall`` only wire/log text.

    (A named tuple: one is made for every input the engine gets.)"""

    mono: float
    wall: float

    def after(self, seconds: float) -> Instant:
        """The instant ``seconds`` later on both clocks."""
        return Instant(self.mono + seconds, self.wall + seconds)
