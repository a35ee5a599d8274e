"""A running tcpdump whose text output is collected, and parsing of ARP lines from it.

Imports stdlib and ``pyhb.errors`` only.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pyhb.errors import PyhbError

# tcpdump -n -e: "... > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42:
#                 Request who-has 10.77.0.100 tell 10.77.0.100, length 28"
_GARP_REQUEST = re.compile(r"^(\S+) > (\S+),.*Request who-has (\S+)(?: \([^)]*\))? tell (\S+),")
_ARP_REPLY = re.compile(r"^(\S+) > (\S+),.*Reply (\S+) is-at (\S+),")


@dataclass(frozen=True, slots=True)
class ArpPacket:
    """One ARP packet: sender MAC, op ("request"/"reply"), announced IP, gratuitous?"""

    src_mac: str
    op: str
    ip: str
    gratuitous: bool


class Capture:
    """tcpdump running until ``stop()``; lines are its stdout (one packet per line)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._proc = proc
        self.lines: list[str] = []

    @classmethod
    def start(cls, argv: Sequence[str], *, ready_timeout: float = 5.0) -> Capture:
        """Start ``argv`` (a tcpdump command) and wait until it listens."""
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        cap = cls(proc)
        assert proc.stderr is not None
        # Read the raw fd: a buffered readline() could hide a second line from select().
        fd = proc.stderr.fileno()
        sel = selectors.DefaultSelector()
        sel.register(fd, selectors.EVENT_READ)
        seen = b""
        deadline = time.monotonic() + ready_timeout
        try:
            while b"listening on" not in seen:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not sel.select(remaining):
                    cap.stop()
                    raise PyhbError(f"{argv[0]}: capture did not start in {ready_timeout} s")
                chunk = os.read(fd, 4096)
                if not chunk:
                    cap.stop()
                    raise PyhbError(f"capture exited early: {' '.join(argv)}: {seen!r}")
                seen += chunk
        finally:
            sel.close()
        return cap

    def stop(self) -> list[str]:
        """Stop the capture (letting it flush) and return every line it printed."""
        proc = self._proc
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        self.lines = [line for line in (out or "").splitlines() if line]
        return self.lines

    def arp(self) -> list[ArpPacket]:
        """The ARP packets among the captured lines (call after ``stop()``)."""
        return parse_arp(self.lines)


def parse_arp(lines: Sequence[str]) -> list[ArpPacket]:
    """ARP packets in ``tcpdump -n -e`` text; a request with sender == target is gratuitous."""
    packets = []
    for line in lines:
        m = _GARP_REQUEST.search(line)
        if m:
            packets.append(ArpPacket(m.group(1), "request", m.group(4), m.group(3) == m.group(4)))
            continue
        m = _ARP_REPLY.search(line)
        if m:
            broadcast = m.group(2) == "ff:ff:ff:ff:ff:ff"
            packets.append(ArpPacket(m.group(1), "reply", m.group(3), broadcast))
    return packets
