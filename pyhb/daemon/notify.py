"""Telling systemd how the daemon is doing (``Type=notify``): the ``sd_notify`` protocol,
one datagram of ``KEY=VALUE`` lines to the AF_UNIX socket named by ``NOTIFY_SOCKET``.

The daemon says ``READY=1`` once it is up (configuration loaded, media and control socket
open, FIFO listening), ``RELOADING=1`` with ``MONOTONIC_USEC`` (systemd >= 253 wants it)
and then ``READY=1`` around a reload, ``STOPPING=1`` when it starts giving up its
resources, each with a ``STATUS=`` line. ``NOTIFY_SOCKET`` is taken out of the
environment so resource scripts do not inherit it; a socket name starting with ``@`` is
in the abstract namespace. Without ``NOTIFY_SOCKET`` nothing is sent, and a failed send
is ignored: notifying never stops the daemon. See docs/operations.md.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import MutableMapping


class Notifier:
    """Sends sd_notify messages to one socket address (or nowhere)."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    @classmethod
    def from_environ(cls, environ: MutableMapping[str, str] | None = None) -> Notifier:
        """The notifier for ``$NOTIFY_SOCKET``, removed from ``environ`` (default: ours)."""
        env = os.environ if environ is None else environ
        return cls(env.pop("NOTIFY_SOCKET", None) or None)

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
