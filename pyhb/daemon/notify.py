"""Telling systemd how the daemon is doing (``Type=notify``): the ``sd_notify`` protocol,
one datagram of ``KEY=VALUE`` lines to the AF_UNIX socket named by ``NOTIFY_SOCKET``.

The daemon says ``READY=1`` once it is up (configuration loaded, media and control socket
open, FIFO listening), ``RELOADING=1`` with ``MONOTONIC_USEC`` (systemd >= 253 wants it)
and then ``READY=1`` around a reload, ``STOPPING=1`` when it starts giving up its
resources, each with a ``STATUS=`` line. ``NOTIFY_SOCKET`` is taken out of the
environment so resource scripts do not inherit it; a socket name starting with ``@`` is
in the abstract namespace. Without ``NOTIFY_SOCKET`` nothing is sent, and a failed send
is ignored: notifying never stops the daemon. See docs/operations.md.

When the unit sets ``WatchdogSec=``, systemd passes ``WATCHDOG_USEC`` (and
``WATCHDOG_PID``): ``keep_watchdog`` then sends ``WATCHDOG=1`` from the event loop every
half of that period, so a loop that hangs stops the pings and systemd acts (its
``Restart=`` decides). The variables are taken out of the environment too, and ignored
when ``WATCHDOG_PID`` names another process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import MutableMapping


class Notifier:
    """Sends sd_notify messages to one socket address (or nowhere)."""

    def __init__(self, address: str | None = None, watchdog_usec: int | None = None) -> None:
        self.address = address
        self.watchdog_usec = watchdog_usec

    @classmethod
    def from_environ(cls, environ: MutableMapping[str, str] | None = None) -> Notifier:
        """The notifier for ``$NOTIFY_SOCKET`` and ``$WATCHDOG_USEC``, removed from
        ``environ`` (default: ours) with ``$WATCHDOG_PID``."""
        env = os.environ if environ is None else environ
        address = env.pop("NOTIFY_SOCKET", None) or None
        usec_text = env.pop("WATCHDOG_USEC", "")
        pid_text = env.pop("WATCHDOG_PID", "")
        usec = int(usec_text) if usec_text.isdigit() and int(usec_text) > 0 else None
        if pid_text and pid_text != str(os.getpid()):
            usec = None  # meant for another process (ours is a child of it, say)
        return cls(address, usec if address else None)

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between ``WATCHDOG=1`` pings (half the period), None: no watchdog."""
        return None if self.watchdog_usec is None else self.watchdog_usec / 2e6

    def send(self, *fields: str) -> bool:
        """Send ``fields`` as one datagram; False if there is no socket or it failed."""
        if not self.address:
            return False
        if self.address.startswith("@"):
            target = "\0" + self.address[1:]
        elif self.address.startswith("/"):
            target = self.address
        else:
            return False  # vsock and other forms are not supported
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(target)
                sock.sendall("\n".join(fields).encode())
        except OSError:
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}")

    def reloading(self) -> bool:
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}", "STATUS=Reloading")

    def stopping(self) -> bool:
        return self.send("STOPPING=1", "STATUS=Shutting down: giving up resources")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")


async def keep_watchdog(notifier: Notifier) -> None:
    """Ping systemd's watchdog from the running loop until cancelled (no watchdog: return)."""
    interval = notifier.watchdog_interval
    if interval is None:
        return
    while True:
        notifier.watchdog()
        await asyncio.sleep(interval)
