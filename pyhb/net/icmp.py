"""ICMP echo for ping nodes: one socket, an echo request to every address each keepalive,
replies reported by ping node name (docs/pingnodes.md).

A raw ICMP socket (the daemon runs as root) and, where that is refused, an unprivileged
ICMP datagram socket (``net.ipv4.ping_group_range``). A raw socket sees every echo reply
reaching the host, so ours are told apart by their identifier; the datagram socket gets
only its own. Host names are resolved once, at start; an address that cannot be resolved
is logged and that ping node simply never answers (it goes dead at ``initdead``).
Imports stdlib only; driven on the daemon's asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
PAYLOAD = b"pyhb ping node heartbeat"


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes = PAYLOAD) -> bytes:
    """An ICMP echo request with a correct checksum."""
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, seq & 0xFFFF)
    csum = checksum(header + payload)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, csum, ident, seq & 0xFFFF) + payload


def parse_reply(packet: bytes, raw: bool) -> tuple[int, int] | None:
    """(identifier, sequence) of an echo reply, or None for anything else. A raw socket
    hands over the IP header too; a datagram socket the ICMP message alone."""
    if raw:
        if len(packet) < 20:
            return None
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8 or packet[0] != ICMP_ECHO_REPLY:
        return None
    ident, seq = struct.unpack("!HH", packet[4:8])
    return ident, seq


def open_icmp_socket() -> tuple[socket.socket, bool]:
    """A non-blocking ICMP socket and whether it is raw."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        raw = True
    except PermissionError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        raw = False
    sock.setblocking(False)
    return sock, raw


class Pinger:
    """Sends echo requests to every ping node's addresses and reports replies by name.

    ``on_reply(name)`` is called for each echo reply from one of ``nodes``' addresses
    (a ``ping_group``'s name for any of its members).
    """

    def __init__(
        self,
        nodes: Mapping[str, tuple[str, ...]],
        interval: float,
        on_reply: Callable[[str], None],
        resolve: Callable[[str], str] = socket.gethostbyname,
    ) -> None:
        self.interval = interval
        self.on_reply = on_reply
        self.ident = os.getpid() & 0xFFFF
        self.seq = 0
        self.by_address: dict[str, list[str]] = {}
        for name, addresses in nodes.items():
            for address in addresses:
                try:
                    ip = resolve(address)
                except OSError as exc:
                    log.error("ping node %s: cannot resolve %s: %s", name, address, exc)
                    continue
                self.by_address.setdefault(ip, []).append(name)
        self.sock: socket.socket | None = None
        self.raw = True
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.received = 0

    def start(self) -> None:
        """Open the socket and start sending; raises OSError if no ICMP socket can be had."""
        self.sock, self.raw = open_icmp_socket()
        if not self.raw:  # the kernel chose the identifier: the socket's "port"
            self.sock.bind(("0.0.0.0", 0))  # noqa: S104 (ICMP: only picks the identifier)
            self.ident = self.sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        loop.add_reader(self.sock.fileno(), self._readable)
        self._task = asyncio.create_task(self._send_loop())
        log.info("ping heartbeat started.")

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None

    async def _send_loop(self) -> None:
        while True:
            self.send_all()
            await asyncio.sleep(self.interval)

    def send_all(self) -> None:
        """One echo request to every address."""
        if self.sock is None:
            return
        self.seq = (self.seq + 1) & 0xFFFF
        packet = echo_request(self.ident, self.seq)
        for ip in self.by_address:
            try:
                self.sock.sendto(packet, (ip, 0))
                self.sent += 1
            except OSError as exc:  # no route, unreachable: the node will go dead
                log.debug("ping %s: %s", ip, exc)

    def _readable(self) -> None:
        sock = self.sock
        if sock is None:
            return
        for _ in range(64):
            try:
                packet, (src, _port) = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("ping socket: %s", exc)
                return
            parsed = parse_reply(packet, self.raw)
            if parsed is None or (self.raw and parsed[0] != self.ident):
                continue
            for name in self.by_address.get(src, ()):
                self.received += 1
                self.on_reply(name)
