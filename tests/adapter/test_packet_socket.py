"""The gratuitous ARP socket: a plain AF_PACKET socket, and no scapy in the daemon."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pyhb.agents.arp import GarpSender, garp_frames, packet_socket

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="AF_PACKET needs CAP_NET_RAW")


@needs_root
def test_packet_socket_sends_a_whole_arp_frame_on_the_interface() -> None:
    request, _ = garp_frames("02:77:00:00:00:01", "10.77.0.100")
    sock = packet_socket("lo")
    try:
        assert sock.send(request) == 42
    finally:
        sock.close()


@needs_root
def test_packet_socket_on_an_unknown_interface_raises_oserror() -> None:
    with pytest.raises(OSError, match="No such device"):
        packet_socket("nosuch9")


@needs_root
def test_garp_sender_uses_packet_sockets_by_default() -> None:
    sender = GarpSender()
    try:
        request, reply = garp_frames("02:77:00:00:00:01", "10.77.0.100")
        sender.send_frame("lo", request)
        sender.send_frame("lo", reply)
    finally:
        sender.close()


def test_the_daemon_and_its_agents_do_not_import_scapy() -> None:
    code = (
        "import sys, pyhb.daemon.app, pyhb.agents.registry, pyhb.cli.heartbeat;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scapy'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
