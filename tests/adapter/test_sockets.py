"""Medium sockets on the loopback interface: options as in 3.0.6 and the error messages."""

from __future__ import annotations

import errno
import os
import select
import socket

import pytest

from pyhb.config.model import Bcast, Mcast, Ucast
from pyhb.net.sockets import IPTOS_LOWDELAY, MediumError, open_media, open_medium

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="SO_BINDTODEVICE needs root")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_missing_interface_is_named_with_the_existing_ones() -> None:
    """ENODEV: the message names the bad interface and lists the real ones."""
    with pytest.raises(MediumError) as info:
        open_medium(Ucast("nosuch9", "10.77.0.2", 694))
    msg = str(info.value)
    assert msg.startswith("ucast nosuch9 10.77.0.2: interface [nosuch9] does not exist")
    assert "lo" in msg.split("existing interfaces:")[1]
    assert info.value.errno == errno.ENODEV


def test_bcast_on_an_interface_without_broadcast_address_is_refused() -> None:
    """lo has no broadcast address: refused instead of 3.0.6's silent send to 0.0.0.0."""
    with pytest.raises(MediumError, match=r"bcast lo: interface \[lo\] has no IPv4 broadcast"):
        open_medium(Bcast("lo", 694))


def test_mcast_group_must_be_a_multicast_address() -> None:
    """A unicast address given as mcast group is refused with the valid range."""
    with pytest.raises(MediumError, match=r"\[10\.77\.0\.1\] is not a multicast address"):
        open_medium(Mcast("lo", "10.77.0.1", 694, 1, False))


def test_ucast_peer_that_does_not_resolve_is_refused() -> None:
    """A ucast peer name that does not resolve to IPv4 fails with the name in the message."""
    with pytest.raises(MediumError, match=r"cannot resolve peer \[no-such-host\.invalid\]"):
        open_medium(Ucast("lo", "no-such-host.invalid", 694))


@needs_root
def test_ucast_socket_has_3_0_6_options() -> None:
    """ucast: TOS lowdelay, reuseaddr+reuseport, bound to the device, 0.0.0.0:port, non-blocking."""
    port = _free_port()
    ms = open_medium(Ucast("lo", "127.0.0.1", port))
    with ms.sock as s:
        assert s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS) == IPTOS_LOWDELAY
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).rstrip(b"\0") == b"lo"
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST) == 0
        assert s.getsockname() == ("0.0.0.0", port)
        assert s.getblocking() is False
        assert ms.destination == ("127.0.0.1", port)
        assert ms.name == "lo"


@needs_root
def test_ucast_socket_sends_to_its_peer_and_receives() -> None:
    """Two ucast media on lo at one port: a datagram sent by one is read by the other."""
    port = _free_port()
    a = open_medium(Ucast("lo", "127.0.0.1", port))
    b = open_medium(Ucast("lo", "127.0.0.1", port))
    with a.sock, b.sock:
        a.sock.sendto(b"ping", a.destination)
        # SO_REUSEPORT spreads datagrams over the group: exactly one of them gets it.
        ready, _, _ = select.select([a.sock, b.sock], [], [], 2)
        assert len(ready) == 1
        data, addr = ready[0].recvfrom(100)
        assert data == b"ping"
        assert addr == ("127.0.0.1", port)


@needs_root
def test_port_in_use_is_retried_then_reported_as_another_heartbeat() -> None:
    """EADDRINUSE is retried 1 s apart (sleep injected) and then explained."""
    port = _free_port()
    sleeps: list[float] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("0.0.0.0", port))
        with pytest.raises(MediumError, match="another heartbeat running") as info:
            open_medium(Ucast("lo", "127.0.0.1", port), attempts=3, sleep=sleeps.append)
    assert sleeps == [1.0, 1.0]
    assert info.value.errno == errno.EADDRINUSE


@needs_root
def test_bind_succeeds_once_the_port_is_released_during_the_retries() -> None:
    """The retry loop binds as soon as the other owner of the port goes away."""
    port = _free_port()
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("0.0.0.0", port))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        blocker.close()

    ms = open_medium(Ucast("lo", "127.0.0.1", port), attempts=5, sleep=sleep)
    ms.sock.close()
    assert sleeps == [1.0]


@needs_root
def test_open_media_closes_what_it_opened_when_a_later_medium_fails() -> None:
    """A failing medium leaves no socket of the earlier ones open."""
    port = _free_port()
    with pytest.raises(MediumError):
        open_media([Ucast("lo", "127.0.0.1", port), Ucast("nosuch9", "127.0.0.1", port)])
    # The first socket is closed: a socket without SO_REUSEADDR can take the port.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", port))
