"""The kernel filter for other nodes' acknowledgements, on real loopback sockets."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhb.net import ackfilter
from pyhb.wire.message import peek_ack_dest

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures"
CAPTURE = CAPTURES / "heartbeat-capture-2node.jsonl"
PACKETS = [
    base64.b64decode(json.loads(line)["payload_b64"]) for line in CAPTURE.read_text().splitlines()
]
ACKS = [p for p in PACKETS if p.startswith(ackfilter.ACK_PREFIX)]
ACK_FOR_ALPHA = next(p for p in ACKS if b"dest=alpha," in p)
ACK_FOR_BETA = next(p for p in ACKS if b"dest=beta," in p)
STATUS = next(p for p in PACKETS if b"(0)t=status," in p)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.5)
    yield rx, tx
    rx.close()
    tx.close()


def _deliveries(rx: socket.socket, tx: socket.socket, datagrams: list[bytes]) -> list[bytes]:
    """Send each datagram, then an end marker; return what arrived before the marker."""
    for d in [*datagrams, b"END"]:
        tx.sendto(d, rx.getsockname())
    got = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        data = rx.recv(65536)
        if data == b"END":
            return got
        got.append(data)
    raise AssertionError("end marker never arrived")


def test_acks_for_other_nodes_never_reach_the_socket(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Node alpha: beta's ack is dropped in the kernel; its own ack and a status arrive."""
    rx, tx = pair
    assert ackfilter.attach(rx, b"alpha")
    got = _deliveries(rx, tx, [ACK_FOR_BETA, ACK_FOR_ALPHA, STATUS, ACK_FOR_BETA])
    assert got == [ACK_FOR_ALPHA, STATUS]


def test_the_filter_and_the_python_check_agree_on_names_sharing_a_prefix(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """An ack for "alph" or "alphax" is another node's, for the kernel as for Python."""
    rx, tx = pair
    assert ackfilter.attach(rx, b"alph")
    others = [ACK_FOR_ALPHA, ACK_FOR_ALPHA.replace(b"13:(0)dest=alpha,", b"14:(0)dest=alphax,")]
    assert others[1] != others[0]
    mine = ACK_FOR_ALPHA.replace(b"13:(0)dest=alpha,", b"12:(0)dest=alph,")
    assert all(peek_ack_dest(p) not in (None, b"alph") for p in others)
    assert peek_ack_dest(mine) == b"alph"
    assert _deliveries(rx, tx, [*others, mine]) == [mine]


def test_short_or_unusual_datagrams_are_left_to_python(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Too short to judge, or not laid out like an ack: delivered as they are."""
    rx, tx = pair
    assert ackfilter.attach(rx, b"alpha")
    odd = [b"", b"x", ackfilter.ACK_PREFIX, b">>>\nt=NS_ackmsg\ndest=beta\n<<<\n", STATUS[:40]]
    assert _deliveries(rx, tx, odd) == odd
