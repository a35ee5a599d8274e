"""The kernel filters (acknowledgements for others, steady statuses), on loopback sockets."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhb.net import filters
from pyhb.wire.message import ACK_PREFIX, STEADY_PREFIX, peek_ack_dest

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures"
CAPTURE = CAPTURES / "heartbeat-capture-2node.jsonl"
PACKETS = [
    base64.b64decode(json.loads(line)["payload_b64"]) for line in CAPTURE.read_text().splitlines()
]
ACKS = [p for p in PACKETS if p.startswith(ACK_PREFIX)]
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


def _deliveries(
    rx: socket.socket, tx: socket.socket, datagrams: list[bytes], end: bytes = b"END"
) -> list[bytes]:
    """Send each datagram, then an end marker; return what arrived before the marker."""
    for d in [*datagrams, end]:
        tx.sendto(d, rx.getsockname())
    got = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        data = rx.recv(65536)
        if data == end:
            return got
        got.append(data)
    raise AssertionError("end marker never arrived")


def test_acks_for_other_nodes_never_reach_the_socket(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Node alpha: beta's ack is dropped in the kernel; its own ack and a status arrive."""
    rx, tx = pair
    assert filters.attach(rx, filters.prompt(b"alpha", split=False))
    got = _deliveries(rx, tx, [ACK_FOR_BETA, ACK_FOR_ALPHA, STATUS, ACK_FOR_BETA])
    assert got == [ACK_FOR_ALPHA, STATUS]


def test_the_filter_and_the_python_check_agree_on_names_sharing_a_prefix(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """An ack for "alph" or "alphax" is another node's, for the kernel as for Python."""
    rx, tx = pair
    assert filters.attach(rx, filters.prompt(b"alph", split=False))
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
    assert filters.attach(rx, filters.prompt(b"alpha", split=False))
    odd = [b"", b"x", ACK_PREFIX, b">>>\nt=NS_ackmsg\ndest=beta\n<<<\n", STATUS[:40]]
    assert _deliveries(rx, tx, odd) == odd


STEADY = [p for p in PACKETS if p.startswith(STEADY_PREFIX)]
UP = next(p for p in PACKETS if p.startswith(b"###\n11:(0)t=status,8:(0)st=up,"))
RESOURCE = next(p for p in PACKETS if b"(0)t=resource," in p)
ACK_BETA_PREFIX = ACK_PREFIX + b"12:(0)dest=beta,"
TWIN_END = STEADY_PREFIX + b"END"  # an end marker the twin's filter lets through
ALL_KINDS = [STEADY[0], UP, RESOURCE, ACK_FOR_ALPHA, ACK_FOR_BETA, STEADY[1]]


def test_a_split_main_socket_drops_steady_statuses_and_keeps_the_rest(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """st=active and our acks go to the twin; st=up and resource messages stay."""
    rx, tx = pair
    assert STEADY
    assert filters.attach(rx, filters.prompt(b"alpha", split=True))
    assert _deliveries(rx, tx, ALL_KINDS) == [UP, RESOURCE]


def test_the_twin_gets_steady_statuses_and_our_acks_and_nothing_else(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    rx, tx = pair
    assert filters.attach(rx, filters.twin(b"alpha"))
    short = STEADY_PREFIX[:-1]
    got = _deliveries(rx, tx, [*ALL_KINDS, short, b""], end=TWIN_END)
    assert got == [STEADY[0], ACK_FOR_ALPHA, STEADY[1]]


def test_split_programs_share_out_every_datagram_exactly_once(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """What the main filter drops, the twin keeps, and the other way round (bar others'
    acks, which neither wants), for every datagram of a 3.0.6 capture."""
    rx, tx = pair
    twin = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    twin.bind(("127.0.0.1", 0))
    twin.settimeout(0.5)
    try:
        assert filters.attach(rx, filters.prompt(b"beta", split=True))
        assert filters.attach(twin, filters.twin(b"beta"))
        odd = [b"", b"###\n", STEADY_PREFIX[:20]]
        sent = [*PACKETS, *odd]
        main = _deliveries(rx, tx, sent)
        lazy = _deliveries(twin, tx, sent, end=TWIN_END)
    finally:
        twin.close()
    others_acks = [p for p in ACKS if b"dest=beta," not in p]
    assert sorted(main + lazy + others_acks) == sorted(sent)
    assert lazy == [p for p in PACKETS if p in STEADY or p.startswith(ACK_BETA_PREFIX)]
    assert len(lazy) > len(STEADY)


def test_reuseport_steering_hands_the_twins_share_to_the_twin() -> None:
    """Unicast to a reuseport group of three: steady statuses and alpha's acks to member
    2 (alpha's twin), the rest to member 0."""
    members = []
    try:
        for _ in range(3):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.settimeout(0.5)
            s.bind(("127.0.0.1", members[0].getsockname()[1] if members else 0))
            members.append(s)
        assert filters.attach(members[2], filters.steer(2, b"alpha"), reuseport=True)
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        members.append(tx)
        for d in ALL_KINDS:
            tx.sendto(d, members[0].getsockname())
        time.sleep(0.1)
        got = []
        for s in members[:3]:
            s.setblocking(False)
            queued = []
            while True:
                try:
                    queued.append(s.recv(65536))
                except BlockingIOError:
                    break
            got.append(queued)
    finally:
        for s in members:
            s.close()
    assert got == [[UP, RESOURCE, ACK_FOR_BETA], [], [STEADY[0], ACK_FOR_ALPHA, STEADY[1]]]


def _head(status: bytes) -> bytes:
    """A status's bytes up to and including its ``srcuuid`` field."""
    at = status.index(b"27:(1)srcuuid=")
    return status[: at + len(b"27:(1)srcuuid=") + 16 + 1]


def test_the_twin_can_leave_out_our_own_steady_statuses(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Told what alpha's steady statuses start with, alpha's twin drops its own looped
    back statuses and still takes beta's and the acks for alpha."""
    rx, tx = pair
    own = [p for p in STEADY if b"(0)src=alpha," in p]
    theirs = [p for p in STEADY if b"(0)src=beta," in p]
    assert own
    assert theirs
    assert filters.attach(rx, filters.twin(b"alpha", _head(own[0])))
    cut = _head(own[0])[:-1]  # too short to be ours: left to Python like any status
    sent = [*STEADY, ACK_FOR_ALPHA, ACK_FOR_BETA, UP, cut]
    assert _deliveries(rx, tx, sent, end=TWIN_END) == [*theirs, ACK_FOR_ALPHA, cut]
