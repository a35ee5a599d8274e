"""Split media between two lab nodes (root, network namespaces): each kind of datagram
reaches exactly the socket it should, on bcast, mcast and ucast, and a peer that uses
ucast towards a bcast node is read in full on the main socket."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.netns import Lab, netns_available

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(netns_available() is not None, reason=str(netns_available())),
]

# Only the start of a datagram matters to the filters; the tail names it in the report.
KINDS = {
    "steady": b"###\n11:(0)t=status,12:(0)st=active,10:(0)dt=3e8,",
    "up": b"###\n11:(0)t=status,8:(0)st=up,10:(0)dt=3e8,",
    "resource": b"###\n13:(0)t=resource,15:(0)rsc_hold=all,",
    "ack-for-a": b"###\n14:(0)t=NS_ackmsg,9:(0)dest=a,11:(0)ackseq=a,",
    "ack-for-c": b"###\n14:(0)t=NS_ackmsg,9:(0)dest=c,11:(0)ackseq=a,",
}

RECEIVER = r"""
import json, socket, sys, time
from pyhb.config.model import Bcast, Mcast, Ucast
from pyhb.net.sockets import open_media
from pyhb.net.split import split_media

media = {
    "bcast": [Bcast("hb0", 694)],
    "mcast": [Mcast("hb0", "239.77.0.1", 694, 1, False)],
    "ucast": [Ucast("hb0", "10.77.0.1", 694), Ucast("hb0", "10.77.0.2", 694)],
}[sys.argv[1]]
opened = split_media(open_media(media), b"a")
print("ready", flush=True)
sys.stdin.readline()
time.sleep(0.3)

def drain(sock):
    sock.setblocking(False)
    got = []
    while True:
        try:
            got.append(sock.recv(65536).rsplit(b",", 1)[1].decode())
        except BlockingIOError:
            return got

print(json.dumps([
    {"main": drain(ms.sock), "twin": None if ms.lazy is None else drain(ms.lazy)}
    for ms in opened
]))
"""

SENDER = r"""
import socket, sys
dest, kinds = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"hb0")
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.77.0.2"))
for kind in kinds:
    prefix = bytes.fromhex(kind.split(":")[1])
    s.sendto(prefix + kind.split(":")[0].encode(), (dest, 694))
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(("a", "b"), client=False) as lab:
        yield lab


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("split")
    (d / "receiver.py").write_text(RECEIVER)
    (d / "sender.py").write_text(SENDER)
    return d / "receiver.py", d / "sender.py"


def _run(lab: Lab, scripts: tuple[Path, Path], kind: str, dest: str) -> list[dict[str, Any]]:
    """Open ``kind`` split on a; b sends one datagram of every kind to ``dest``."""
    receiver, sender = scripts
    proc = lab["a"].spawn(
        [sys.executable, str(receiver), kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr
        args = [f"{name}:{prefix.hex()}" for name, prefix in KINDS.items()]
        sent = lab["b"].spawn([sys.executable, str(sender), dest, *args])
        assert sent.wait(timeout=10) == 0
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    report: list[dict[str, Any]] = json.loads(out)
    return report


def test_bcast_sends_steady_statuses_and_our_acks_to_the_twin(
    lab: Lab, scripts: tuple[Path, Path]
) -> None:
    [ms] = _run(lab, scripts, "bcast", "10.77.0.255")
    assert ms == {"main": ["up", "resource"], "twin": ["steady", "ack-for-a"]}


def test_a_peer_using_ucast_towards_a_bcast_node_is_read_in_full_on_the_main_socket(
    lab: Lab, scripts: tuple[Path, Path]
) -> None:
    """Mixed media: the twin (bound to the broadcast address) never sees unicast, so the
    main socket keeps everything sent to the node's own address (bar others' acks)."""
    [ms] = _run(lab, scripts, "bcast", "10.77.0.1")
    assert ms == {"main": ["steady", "up", "resource", "ack-for-a"], "twin": []}


def test_mcast_splits_like_bcast(lab: Lab, scripts: tuple[Path, Path]) -> None:
    [ms] = _run(lab, scripts, "mcast", "239.77.0.1")
    assert ms == {"main": ["up", "resource"], "twin": ["steady", "ack-for-a"]}


def test_ucast_steers_the_twins_share_to_it_past_every_main_socket(
    lab: Lab, scripts: tuple[Path, Path]
) -> None:
    """Two ucast lines on hb0 (to itself and to b, as a shared ha.cf has): two main
    sockets and one twin in the port's reuseport group. The twin gets its share; the
    rest goes to the first main socket, none to the second."""
    first, second = _run(lab, scripts, "ucast", "10.77.0.1")
    assert first == {"main": ["up", "resource"], "twin": ["steady", "ack-for-a"]}
    assert second == {"main": [], "twin": None}
