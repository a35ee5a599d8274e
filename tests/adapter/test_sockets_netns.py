"""bcast, mcast and ucast medium sockets between two lab nodes (root, network namespaces)."""

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

PROBE = r"""
import json, select, socket, sys, time
from pyhb.config.model import Bcast, Mcast, Ucast
from pyhb.net.sockets import open_medium

kind, listen = sys.argv[1], float(sys.argv[2])
medium = {
    "bcast": Bcast("hb0", 694),
    "mcast": Mcast("hb0", "239.77.0.1", 694, 1, False),
    "ucast": Ucast("hb0", sys.argv[3] if len(sys.argv) > 3 else "10.77.0.1", 694),
}[kind]
ms = open_medium(medium)
s = ms.sock
print("ready", flush=True)
sys.stdin.readline()
s.sendto(b"from " + socket.gethostname().encode(), ms.destination)
got = []
end = time.monotonic() + listen
while (left := end - time.monotonic()) > 0:
    if select.select([s], [], [], left)[0]:
        data, addr = s.recvfrom(65535)
        got.append([data.decode(), addr[0], addr[1]])
opt = lambda level, name: s.getsockopt(level, name)
print(json.dumps({
    "dest": list(ms.destination),
    "bound": list(s.getsockname()),
    "got": got,
    "tos": opt(socket.IPPROTO_IP, socket.IP_TOS),
    "broadcast": opt(socket.SOL_SOCKET, socket.SO_BROADCAST),
    "dontroute": opt(socket.SOL_SOCKET, socket.SO_DONTROUTE),
    "reuseaddr": opt(socket.SOL_SOCKET, socket.SO_REUSEADDR),
    "device": s.getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).rstrip(b"\0").decode(),
    "mttl": opt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL),
    "mloop": opt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP),
}))
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(("a", "b"), client=False) as lab:
        yield lab


def _exchange(lab: Lab, probe: Path, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open the medium on both nodes, then each sends one datagram; return both reports."""
    procs = []
    for name, peer in (("a", "10.77.0.2"), ("b", "10.77.0.1")):
        proc = lab[name].spawn(
            [sys.executable, str(probe), kind, "0.6", peer],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr
        procs.append(proc)
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        reports.append(json.loads(out))
    return reports[0], reports[1]


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "probe.py"
    path.write_text(PROBE)
    return path


def test_bcast_goes_to_the_broadcast_address_and_own_broadcasts_come_back(
    lab: Lab, probe: Path
) -> None:
    """bcast: SO_BROADCAST+SO_DONTROUTE on hb0 to 10.77.0.255; each node reads both datagrams."""
    a, b = _exchange(lab, probe, "bcast")
    assert a["dest"] == ["10.77.0.255", 694]
    assert (a["broadcast"], a["dontroute"], a["reuseaddr"], a["device"]) == (1, 1, 1, "hb0")
    assert a["tos"] == 0
    for report in (a, b):
        assert sorted(g[0] for g in report["got"]) == ["from a", "from b"]


def test_mcast_reaches_the_peer_and_loop_off_hides_own_datagrams(lab: Lab, probe: Path) -> None:
    """mcast (ttl 1, loop 0): bound to the group, peer's datagram arrives, own does not."""
    a, b = _exchange(lab, probe, "mcast")
    assert a["bound"] == ["239.77.0.1", 694]
    assert (a["mttl"], a["mloop"], a["device"]) == (1, 0, "")
    assert [g[:2] for g in a["got"]] == [["from b", "10.77.0.2"]]
    assert [g[:2] for g in b["got"]] == [["from a", "10.77.0.1"]]


def test_ucast_reaches_the_peer_with_lowdelay_tos(lab: Lab, probe: Path) -> None:
    """ucast: each node sends to the other's address from hb0 with TOS 0x10."""
    a, b = _exchange(lab, probe, "ucast")
    assert (a["tos"], a["device"]) == (0x10, "hb0")
    assert [g[:2] for g in a["got"]] == [["from b", "10.77.0.2"]]
    assert [g[:2] for g in b["got"]] == [["from a", "10.77.0.1"]]
