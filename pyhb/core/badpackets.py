"""How rejected packets are logged: a few warnings, the rest counted.

A rejected packet (forged, replayed, malformed, from an unknown node) is logged at
WARNING at most once per ``INTERVAL`` per source address, and at most ``BUDGET`` such
warnings per ``INTERVAL`` in all, whatever the number of sources: junk from spoofed
addresses cannot flood the log. Every rejected packet that got no warning is counted,
and the first ``DEBUG_BUDGET`` of each ``INTERVAL`` go to the debug log (a flood would
otherwise fill a ``debugfile`` as fast as it comes); once per ``INTERVAL`` (at the
engine's timer, or at the next rejected packet) one line sums them up:
``N bad packets from M sources dropped in the last T s``. See docs/operations.md.

Part of the engine; takes its time from the caller.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

INTERVAL = 60.0  # seconds: the per-source limit and the global budget's period
BUDGET = 5  # warnings per INTERVAL for all sources together
DEBUG_BUDGET = 100  # debug lines per INTERVAL for the rest
MAX_SOURCES = 4096  # distinct dropped sources remembered for the summary


class BadPacketLog:
    """The warnings and the count for rejected packets; ``note`` each one."""

    def __init__(self) -> None:
        self._warned: dict[str, float] = {}  # source -> when its last warning went out
        self._window: float | None = None  # when the budget's current period began
        self._spent = 0
        self._debugged = 0
        self._since: float | None = None  # when the first uncounted-for drop came
        self._dropped = 0
        self._sources: set[str] = set()
        self._more_sources = False
        self.total = 0  # every rejected packet since start, warned of or not (metrics)

    def note(self, t: float, source: str, text: str, *, enabled: bool = True) -> list[str]:
        """One rejected packet from ``source`` at ``t``: the lines to log at WARNING
        (the packet's own, a summary that fell due, both or none)."""
        out = self.summary(t)
        self.total += 1
        if self._window is None or t - self._window >= INTERVAL:
            self._window, self._spent, self._debugged = t, 0, 0
            self._warned = {s: w for s, w in self._warned.items() if t - w < INTERVAL}
        if not enabled:
            self._debug(text)
            return out
        last = self._warned.get(source)
        if self._spent < BUDGET and (last is None or t - last >= INTERVAL):
            self._spent += 1
            self._warned[source] = t
            out.append(text)
            return out
        self._debug(text)
        if self._since is None:
            self._since = t
        self._dropped += 1
        if len(self._sources) < MAX_SOURCES:
            self._sources.add(source)
        elif source not in self._sources:
            self._more_sources = True
        return out

    def _debug(self, text: str) -> None:
        if self._debugged < DEBUG_BUDGET:
            self._debugged += 1
            log.debug("%s", text)

    def due(self) -> float | None:
        """When the next summary is due (None: nothing to sum up)."""
        return None if self._since is None else self._since + INTERVAL

    def summary(self, t: float) -> list[str]:
        """The summary line if one is due at ``t`` (and the count restarts), else []."""
        since = self._since
        if since is None or t - since < INTERVAL:
            return []
        n, m = self._dropped, len(self._sources)
        more = "+" if self._more_sources else ""
        packets = "packet" if n == 1 else "packets"
        sources = "source" if m == 1 and not more else "sources"
        line = f"{n} bad {packets} from {m}{more} {sources} dropped in the last {t - since:.0f} s"
        self._restart_count()
        return [line]

    def reset(self) -> None:
        """Forget the count and the warnings given, as if a long time had passed."""
        self._warned.clear()
        self._window, self._spent, self._debugged = None, 0, 0
        self._restart_count()

    def _restart_count(self) -> None:
        self._since, self._dropped = None, 0
        self._sources.clear()
        self._more_sources = False
