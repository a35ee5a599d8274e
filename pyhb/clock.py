"""The ``Instant`` value passed into the sans-I/O core.

The core never reads a clock: the shell (``pyhb.net.transport``, the daemon) makes an
``Instant`` from the system clock for every input, and the simulator from simulated time.
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
