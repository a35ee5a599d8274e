"""The ``watchdog`` device: opened at start, written while the daemon runs, disarmed
only by a clean shutdown, as heartbeat 3.0.6 does.

3.0.6 opens the device write-only, sets its timeout (``WDIOC_SETTIMEOUT``) to deadtime
rounded up to whole seconds (``ceil((deadtime + 10 ms) / 1 s)``), writes one byte while
its heartbeat goes on, and on a clean exit writes the magic ``V`` before closing, which
tells the driver that the close is deliberate. A daemon that hangs, or is killed, stops
writing: the kernel reboots the node once the timeout runs out, and the peer, which
declares it dead after the same deadtime, can take over.

pyhb writes a NUL byte every keepalive from the event loop (a stalled loop stops the
writes, as a stalled heartbeat would). A write that fails closes the device, logged, as
3.0.6 does. The fencing reboot of a stop failure (``daemon.fence``) leaves the device
armed (no ``V``), so the watchdog backs a reboot command that fails.

``PYHB_WATCHDOG_DEVICE`` replaces the device ha.cf names (a regular file stands in for
it in tests; the timeout ioctl then fails and is logged, as 3.0.6 logs it). 3.0.6 logs
``Cannot open watchdog device`` and runs on without one; pyhb's ``preflight`` refuses to
start instead, as for every protection that cannot be honoured. See docs/operations.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import math
import os
import struct
from collections.abc import Mapping

log = logging.getLogger("pyhb")

WATCHDOG_ENV = "PYHB_WATCHDOG_DEVICE"
WDIOC_SETTIMEOUT = 0xC0045706  # _IOWR('W', 6, int), linux/watchdog.h
KEEPALIVE_BYTE = b"\0"
MAGIC_CLOSE = b"V"


def watchdog_device(configured: str | None, environ: Mapping[str, str]) -> str | None:
    """The device to use: none without a ``watchdog`` line, else the line's device or
    ``PYHB_WATCHDOG_DEVICE`` in its place."""
    if configured is None:
        return None
    return environ.get(WATCHDOG_ENV, "").strip() or configured


def watchdog_timeout(deadtime_ms: int) -> int:
    """The timeout 3.0.6 sets: deadtime (plus 10 ms) rounded up to whole seconds."""
    return math.ceil((deadtime_ms + 10) / 1000)


class Watchdog:
    """One open watchdog device."""

    def __init__(self, path: str, deadtime_ms: int) -> None:
        self.path = path
        self.timeout = watchdog_timeout(deadtime_ms)
        self.fd: int | None = None
        self.writes = 0

    def open(self) -> None:
        """Open the device and set its timeout; OSError when it cannot be opened."""
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CLOEXEC)
        log.info("Using watchdog device: %s", self.path)
        try:
            fcntl.ioctl(self.fd, WDIOC_SETTIMEOUT, struct.pack("i", self.timeout))
        except OSError as exc:  # 3.0.6's line; the device keeps its own timeout
            log.error(
                "WDIOC_SETTIMEOUT: Failed to set watchdog timer to %d seconds.: %s",
                self.timeout,
                exc.strerror,
            )
        else:
            log.info("Watchdog timer set to %d seconds", self.timeout)
        self.tickle()

    def tickle(self) -> None:
        """Keep the node alive for another timeout."""
        if self.fd is None:
            return
        try:
            written = os.write(self.fd, KEEPALIVE_BYTE)
        except OSError as exc:
            written, why = 0, exc.strerror
        else:
            why = "short write"
        if written != 1:
            log.error("Watchdog write failure: closing %s! (%s)", self.path, why)
            self._close_fd()
            return
        self.writes += 1

    async def keep_alive(self, interval: float) -> None:
        """Write every ``interval`` seconds (the keepalive) until closed or cancelled."""
        while self.fd is not None:
            await asyncio.sleep(interval)
            self.tickle()

    def close(self, *, disarm: bool) -> None:
        """Close the device; ``disarm`` (clean shutdown only) writes the magic ``V`` first."""
        if self.fd is None:
            return
        if disarm:
            try:
                os.write(self.fd, MAGIC_CLOSE)
            except OSError as exc:
                log.error(
                    "Watchdog write magic character failure: closing %s! (%s)",
                    self.path,
                    exc.strerror,
                )
            else:
                log.info("Watchdog device %s disarmed and closed", self.path)
        else:
            log.warning("Watchdog device %s closed still armed", self.path)
        self._close_fd()

    def _close_fd(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
