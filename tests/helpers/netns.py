"""The network-namespace lab for integration and interop tests (see ``pyhb.lab.netns``)."""

from __future__ import annotations

from pyhb.lab.capture import ArpPacket, Capture, parse_arp
from pyhb.lab.netns import (
    BROADCAST,
    CLIENT_ADDRESS,
    HB_PORT,
    IFACE,
    Host,
    Lab,
    Node,
    cleanup_stale,
)
from pyhb.lab.shell import LabError, PingResult, namespace_pids

__all__ = [
    "BROADCAST",
    "CLIENT_ADDRESS",
    "HB_PORT",
    "IFACE",
    "ArpPacket",
    "Capture",
    "Host",
    "Lab",
    "LabError",
    "Node",
    "PingResult",
    "cleanup_stale",
    "namespace_pids",
    "netns_available",
    "parse_arp",
]


def netns_available() -> str | None:
    """None if namespace tests can run here, else the reason they cannot."""
    import os
    import shutil

    if os.geteuid() != 0:
        return "network namespace tests need root"
    for tool in ("ip", "unshare", "mount", "ping"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None
