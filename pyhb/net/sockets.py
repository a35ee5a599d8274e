"""Building one fully configured, non-blocking UDP socket per heartbeat medium.

Owns the socket options of ``bcast``/``ucast``/``mcast`` (heartbeat 3.0.6
``HBcomm/{bcast,ucast,mcast}.c``) and errno-specific error messages. Sockets are built
before the event loop starts (interface lookups and the EADDRINUSE retry block) and are
then handed to ``pyhb.net.transport``. Must not import asyncio or anything above
``pyhb.config.model`` besides ``pyhb.net.ifaces`` and ``pyhb.errors``.

One socket per medium both sends and receives. 3.0.6 uses a writer socket on an
ephemeral port plus a reader socket bound to the port; the only wire difference here is
the UDP source port (the medium's port instead of an ephemeral one), which 3.0.6 peers
never look at. Everything else is kept identical:

* ``ucast IFACE PEER``: bound to ``0.0.0.0:port``, SO_REUSEADDR + SO_REUSEPORT,
  SO_BINDTODEVICE IFACE, IP_TOS IPTOS_LOWDELAY (0x10); sends to ``PEER:port``.
* ``bcast IFACE``: bound to ``0.0.0.0:port``, SO_REUSEADDR, SO_BROADCAST, SO_DONTROUTE,
  SO_BINDTODEVICE IFACE; sends to the interface's broadcast address. Like 3.0.6's reader,
  the socket receives the node's own broadcasts back.
* ``mcast IFACE GROUP PORT TTL LOOP``: bound to ``GROUP:port``, SO_REUSEADDR,
  IP_ADD_MEMBERSHIP on IFACE's address, IP_MULTICAST_IF, IP_MULTICAST_TTL,
  IP_MULTICAST_LOOP (no SO_BINDTODEVICE, as in 3.0.6); sends to ``GROUP:port``.

Deliberate difference: a bcast interface without a broadcast address is refused (3.0.6
silently sends to 0.0.0.0 and nothing leaves the host).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyhb.config.model import Bcast, Mcast, Medium, Ucast
from pyhb.errors import PyhbError
from pyhb.net import ifaces

log = logging.getLogger(__name__)

IPTOS_LOWDELAY = 0x10

# heartbeat 3.0.6 HBcomm plugins: bind() is retried on EADDRINUSE, 1 s apart.
BIND_ATTEMPTS_UCAST_BCAST = 10
BIND_ATTEMPTS_MCAST = 50
BIND_RETRY_DELAY = 1.0


class MediumError(PyhbError):
    """A medium's socket could not be set up; the message says why and what to do."""

    def __init__(self, medium: Medium, message: str, err: int | None = None) -> None:
        super().__init__(f"{describe(medium)}: {message}")
        self.medium = medium
        self.errno = err


@dataclass(frozen=True, slots=True)
class MediumSocket:
    """A configured socket and where the medium's datagrams go."""

    medium: Medium
    sock: socket.socket
    destination: tuple[str, int]
    lazy: socket.socket | None = None  # the twin read at the engine's timer (net.split)

    @property
    def name(self) -> str:
        """The link name the engine sees (the interface, as in 3.0.6)."""
        return self.medium.name

    @property
    def description(self) -> str:
        return describe(self.medium)


def describe(medium: Medium) -> str:
    """The medium as written in ha.cf, shortened: ``bcast hb0``, ``ucast hb0 10.77.0.2``."""
    match medium:
        case Ucast():
            return f"ucast {medium.iface} {medium.peer}"
        case Bcast():
            return f"bcast {medium.iface}"
        case Mcast():
            return f"mcast {medium.iface} {medium.group}"


def open_media(
    media: Iterable[Medium],
    *,
    attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[MediumSocket]:
    """Open every medium; on the first failure close the ones already open and raise.

    Raises:
        MediumError: a medium could not be set up.
    """
    opened: list[MediumSocket] = []
    try:
        for medium in media:
            opened.append(open_medium(medium, attempts=attempts, sleep=sleep))
    except BaseException:
        for ms in opened:
            ms.sock.close()
        raise
    return opened


def check_medium(medium: Medium) -> None:
    """What ``open_medium`` checks before it opens a socket: the interface exists and has
    the address the medium needs, a ucast peer resolves. Blocking; opens nothing.

    Raises:
        MediumError: the medium cannot be set up here.
    """
    _require_iface(medium)
    match medium:
        case Ucast():
            _resolve_peer(medium)
        case Bcast():
            _broadcast_of(medium)
        case Mcast():
            _mcast_local_address(medium)


def open_medium(
    medium: Medium,
    *,
    attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    twin: bool = False,
) -> MediumSocket:
    """Build the non-blocking socket of one medium (blocking: call before the loop runs).

    ``attempts`` bounds the bind retries on EADDRINUSE (default as in 3.0.6: 10 for
    ucast/bcast, 50 for mcast), ``sleep`` waits between them (injectable for tests).
    ``twin`` builds a second, silent receiving socket for the medium (``net.split``):
    the same options and port, bound for bcast to the broadcast address, so that only
    broadcasts reach it; nothing is logged for it.

    Raises:
        MediumError: the interface is missing or unusable, or a socket call failed.
    """
    _require_iface(medium)
    match medium:
        case Ucast():
            dest = (_resolve_peer(medium), medium.port)
            bind_addr = ("0.0.0.0", medium.port)  # noqa: S104 - heartbeat listens on all
            default_attempts = BIND_ATTEMPTS_UCAST_BCAST
        case Bcast():
            dest = (_broadcast_of(medium), medium.port)
            bind_addr = ("0.0.0.0", medium.port)  # noqa: S104 - needed to get broadcasts
            if twin:
                bind_addr = dest
            default_attempts = BIND_ATTEMPTS_UCAST_BCAST
        case Mcast():
            local = _mcast_local_address(medium)
            dest = (medium.group, medium.port)
            bind_addr = (medium.group, medium.port)
            default_attempts = BIND_ATTEMPTS_MCAST
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        _setopt(medium, sock, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        match medium:
            case Ucast():
                _setopt(medium, sock, socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                _setopt(medium, sock, socket.IPPROTO_IP, socket.IP_TOS, IPTOS_LOWDELAY)
                _bind_to_device(medium, sock)
            case Bcast():
                _setopt(medium, sock, socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                _setopt(medium, sock, socket.SOL_SOCKET, socket.SO_DONTROUTE, 1)
                _bind_to_device(medium, sock)
            case Mcast():
                _setup_multicast(medium, sock, local)
        _bind(medium, sock, bind_addr, attempts or default_attempts, sleep)
    except BaseException:
        sock.close()
        raise
    if not twin:
        _log_started(medium, dest)
    return MediumSocket(medium=medium, sock=sock, destination=dest)


def _log_started(medium: Medium, dest: tuple[str, int]) -> None:
    match medium:
        case Ucast():
            log.info(
                "ucast: started on port %d interface %s to %s", medium.port, medium.iface, dest[0]
            )
        case Bcast():
            log.info(
                "UDP Broadcast heartbeat started on port %d (%d) interface %s",
                medium.port,
                medium.port,
                medium.iface,
            )
        case Mcast():
            log.info(
                "UDP multicast heartbeat started for group %s port %d interface %s "
                "(ttl=%d loop=%d)",
                medium.group,
                medium.port,
                medium.iface,
                medium.ttl,
                int(medium.loop),
            )


def _require_iface(medium: Medium) -> None:
    if not ifaces.iface_exists(medium.iface):
        raise MediumError(medium, _no_such_iface(medium.iface), errno.ENODEV)


def _no_such_iface(iface: str) -> str:
    existing = ", ".join(sorted(ifaces.interfaces())) or "none"
    return f"interface [{iface}] does not exist (existing interfaces: {existing})"


def _resolve_peer(medium: Ucast) -> str:
    try:
        return str(ipaddress.IPv4Address(medium.peer))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(medium.peer, medium.port, socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as exc:
        raise MediumError(
            medium, f"cannot resolve peer [{medium.peer}] to an IPv4 address: {exc}"
        ) from exc
    return str(infos[0][4][0])


def _broadcast_of(medium: Bcast) -> str:
    if ifaces.ipv4_address(medium.iface) is None:
        raise MediumError(
            medium,
            f"interface [{medium.iface}] has no IPv4 address; bcast needs one with a "
            f"broadcast address (e.g. ip addr add 10.0.0.1/24 brd + dev {medium.iface})",
        )
    brd = ifaces.ipv4_broadcast(medium.iface)
    if brd is None:
        raise MediumError(
            medium,
            f"interface [{medium.iface}] has no IPv4 broadcast address; heartbeat 3.0.6 "
            f"would send to 0.0.0.0 and nothing would leave the host. Configure one "
            f"(e.g. ip addr add ADDR/24 brd + dev {medium.iface})",
        )
    return brd


def _mcast_local_address(medium: Mcast) -> str:
    try:
        group = ipaddress.IPv4Address(medium.group)
    except ValueError as exc:
        raise MediumError(medium, f"[{medium.group}] is not an IPv4 address") from exc
    if not group.is_multicast:
        raise MediumError(
            medium, f"[{medium.group}] is not a multicast address (224.0.0.0-239.255.255.255)"
        )
    local = ifaces.ipv4_address(medium.iface)
    if local is None:
        raise MediumError(
            medium,
            f"mcast device [{medium.iface}] is invalid or not set up properly: "
            f"it has no IPv4 address to join {medium.group} on",
        )
    return local


def _setup_multicast(medium: Mcast, sock: socket.socket, local: str) -> None:
    group_b = socket.inet_aton(medium.group)
    local_b = socket.inet_aton(local)
    _setopt(medium, sock, socket.IPPROTO_IP, socket.IP_MULTICAST_IF, local_b)
    _setopt(medium, sock, socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, medium.ttl)
    _setopt(medium, sock, socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, int(medium.loop))
    mreq = struct.pack("4s4s", group_b, local_b)
    _setopt(medium, sock, socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)


def _bind_to_device(medium: Medium, sock: socket.socket) -> None:
    _setopt(medium, sock, socket.SOL_SOCKET, socket.SO_BINDTODEVICE, medium.iface.encode())


def _setopt(medium: Medium, sock: socket.socket, level: int, opt: int, value: int | bytes) -> None:
    try:
        sock.setsockopt(level, opt, value)
    except OSError as exc:
        raise _error(medium, f"setsockopt({_OPT_NAMES.get((level, opt), opt)})", exc) from exc


def _bind(
    medium: Medium,
    sock: socket.socket,
    addr: tuple[str, int],
    attempts: int,
    sleep: Callable[[float], None],
) -> None:
    for attempt in range(1, attempts + 1):
        try:
            sock.bind(addr)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == attempts:
                raise _error(medium, f"bind({addr[0]}:{addr[1]})", exc) from exc
            log.warning(
                "%s: port %d in use (attempt %d of %d), retrying in %.0f s",
                describe(medium),
                addr[1],
                attempt,
                attempts,
                BIND_RETRY_DELAY,
            )
            sleep(BIND_RETRY_DELAY)
        else:
            return


def _error(medium: Medium, op: str, exc: OSError) -> MediumError:
    """Turn an OSError into a MediumError whose message says what to do."""
    err = exc.errno
    reason = exc.strerror or str(exc)
    if err == errno.ENODEV:
        advice = _no_such_iface(medium.iface)
    elif err == errno.EADDRINUSE:
        advice = f"UDP port {medium.port} is already in use (is another heartbeat running?)"
    elif err in (errno.EPERM, errno.EACCES):
        advice = (
            f"permission denied: binding to interface [{medium.iface}] (SO_BINDTODEVICE) "
            "and joining media need root (CAP_NET_RAW / CAP_NET_ADMIN)"
        )
    elif err == errno.EADDRNOTAVAIL:
        advice = f"address not available on interface [{medium.iface}]; is it up and addressed?"
    else:
        advice = reason
    return MediumError(medium, f"{op} failed: {advice} [{reason}]", err)


_OPT_NAMES: dict[tuple[int, int], str] = {
    (socket.SOL_SOCKET, socket.SO_REUSEADDR): "SO_REUSEADDR",
    (socket.SOL_SOCKET, socket.SO_REUSEPORT): "SO_REUSEPORT",
    (socket.SOL_SOCKET, socket.SO_BROADCAST): "SO_BROADCAST",
    (socket.SOL_SOCKET, socket.SO_DONTROUTE): "SO_DONTROUTE",
    (socket.SOL_SOCKET, socket.SO_BINDTODEVICE): "SO_BINDTODEVICE",
    (socket.IPPROTO_IP, socket.IP_TOS): "IP_TOS",
    (socket.IPPROTO_IP, socket.IP_MULTICAST_IF): "IP_MULTICAST_IF",
    (socket.IPPROTO_IP, socket.IP_MULTICAST_TTL): "IP_MULTICAST_TTL",
    (socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP): "IP_MULTICAST_LOOP",
    (socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP): "IP_ADD_MEMBERSHIP",
}
