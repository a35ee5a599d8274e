"""The namespace lab itself: connectivity, loss, partitions, private dirs, clean teardown."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.netns import CLIENT_ADDRESS, Lab, cleanup_stale, namespace_pids

pytestmark = pytest.mark.netns

RECEIVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 694))
s.settimeout(0.5)
print("ready", flush=True)
n = 0
try:
    while True:
        s.recv(100)
        n += 1
except TimeoutError:
    pass
print(n)
"""

SENDER = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"x", (sys.argv[1], 694))
    time.sleep(0.0005)
"""


def _netns_list() -> str:
    return subprocess.run(
        ["ip", "netns", "list"], check=False, capture_output=True, text=True
    ).stdout


def _udp_delivered(lab: Lab, src: str, dst: str, count: int, tmp_path: Path) -> int:
    """Send ``count`` datagrams to UDP 694 from node ``src`` to ``dst``; return how many arrived."""
    (tmp_path / "rx.py").write_text(RECEIVER)
    (tmp_path / "tx.py").write_text(SENDER)
    rx = lab[dst].spawn(
        [sys.executable, str(tmp_path / "rx.py")], stdout=subprocess.PIPE, text=True
    )
    assert rx.stdout is not None
    assert rx.stdout.readline().strip() == "ready"
    tx = lab[src].run([sys.executable, str(tmp_path / "tx.py"), lab[dst].address, str(count)])
    assert tx.returncode == 0, tx.stderr
    out, _ = rx.communicate(timeout=10)
    return int(out.strip())


def test_nodes_and_client_reach_each_other_over_the_bridge(lab: Lab) -> None:
    """Every pair of node/client namespaces answers pings across the private bridge."""
    a, b, client = lab["a"], lab["b"], lab.client
    assert client is not None
    assert (a.address, b.address, client.address) == ("10.77.0.1", "10.77.0.2", CLIENT_ADDRESS)
    assert a.ping(b.address).received == 1
    assert b.ping(a.address).received == 1
    assert client.ping(a.address).received == 1
    assert client.ping(b.address).received == 1
    assert client.neighbours()[a.address] == a.mac()


def test_node_sees_its_name_and_broadcast_address(lab: Lab) -> None:
    """Inside a node, hostname is the node name and hb0 has the lab broadcast address."""
    r = lab["b"].run(["sh", "-c", "hostname; ip -4 -o addr show dev hb0"])
    assert r.returncode == 0, r.stderr
    hostname, addr = r.stdout.splitlines()
    assert hostname == "b"
    assert "inet 10.77.0.2/24 brd 10.77.0.255" in addr


def test_random_loss_rule_drops_roughly_the_configured_share(lab: Lab, tmp_path: Path) -> None:
    """P=0.3 on UDP 694 input drops between 15% and 45% of 200 datagrams; clear restores all."""
    lab["b"].set_loss(0.3)
    delivered = _udp_delivered(lab, "a", "b", 200, tmp_path)
    assert 110 <= delivered <= 170
    lab.heal()
    assert _udp_delivered(lab, "a", "b", 50, tmp_path) == 50


def test_loss_rule_for_icmp_applies_to_ping(lab: Lab) -> None:
    """An ICMP loss rule with P=0.3 loses 15%..45% of 200 fast pings from the client."""
    lab["a"].set_loss(0.3, protocol="icmp")
    assert lab.client is not None
    result = lab.client.ping(lab["a"].address, count=200, interval=0.01)
    assert result.transmitted == 200
    assert 30 <= result.lost <= 90


def test_partition_drops_heartbeat_traffic_both_ways_but_not_ping(lab: Lab, tmp_path: Path) -> None:
    """A partition blocks UDP 694 between the sides in both directions; heal undoes it."""
    lab.partition(["a"], ["b"])
    assert _udp_delivered(lab, "a", "b", 20, tmp_path) == 0
    assert _udp_delivered(lab, "b", "a", 20, tmp_path) == 0
    assert lab["a"].ping(lab["b"].address).received == 1
    lab.heal()
    assert _udp_delivered(lab, "b", "a", 20, tmp_path) == 20


def test_link_down_cuts_the_node_off_until_link_up(lab: Lab) -> None:
    """Taking the bridge port down isolates the node; bringing it up restores it."""
    a, b = lab["a"], lab["b"]
    a.link_down()
    assert b.ping(a.address, wait=0.5).received == 0
    a.link_up()
    assert b.ping(a.address, wait=3).received == 1


def test_private_etc_ha_d_is_visible_only_to_its_node(lab: Lab) -> None:
    """A file written to /etc/ha.d in node a is in a's directory only, not b's nor the host's."""
    r = lab["a"].run(["sh", "-c", "echo secret > /etc/ha.d/pyhb-lab-probe"])
    assert r.returncode == 0, r.stderr
    assert (lab["a"].etc_dir / "pyhb-lab-probe").read_text() == "secret\n"
    assert lab["a"].run(["cat", "/etc/ha.d/pyhb-lab-probe"]).stdout == "secret\n"
    assert lab["b"].run(["ls", "/etc/ha.d"]).stdout.split().count("pyhb-lab-probe") == 0
    assert not Path("/etc/ha.d/pyhb-lab-probe").exists()
    host_pidfile = Path("/run/heartbeat.pid")
    before = host_pidfile.read_bytes() if host_pidfile.exists() else None
    r = lab["b"].run(["sh", "-c", "echo 7 > /run/heartbeat.pid"])
    assert r.returncode == 0, r.stderr
    assert (lab["b"].run_dir / "heartbeat.pid").read_text() == "7\n"
    assert (host_pidfile.read_bytes() if host_pidfile.exists() else None) == before


@pytest.mark.skipif(shutil.which("arping") is None, reason="arping is not installed")
def test_client_captures_a_nodes_gratuitous_arp(lab: Lab) -> None:
    """A GARP sent by node a shows up in the client's capture with a's MAC and address."""
    assert lab.client is not None
    capture = lab.client.capture("arp")
    a = lab["a"]
    a.run(["arping", "-U", "-c", "1", "-i", "hb0", "-S", a.address, a.address])
    capture.stop()
    garps = [p for p in capture.arp() if p.gratuitous]
    assert [(p.src_mac, p.ip) for p in garps] == [(a.mac(), a.address)]


def test_teardown_leaves_no_namespace_process_or_mount(
    make_lab: Callable[..., Lab],
) -> None:
    """After close(): no lab namespace, process or mount of the lab root; close is idempotent."""
    lab = make_lab(("a", "b"), client=True)
    sleeper = lab["a"].spawn(["sleep", "300"])
    daemonised = lab["b"].spawn(["sh", "-c", "setsid sleep 300 & sleep 300"])
    root = str(lab.root)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{sleeper.pid}/cmdline").read_bytes() != b"sleep\x00300\x00":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert namespace_pids(lab["a"].ns)  # only once the child has entered the namespace
    mounts_while_running = Path(f"/proc/{sleeper.pid}/mountinfo").read_text()
    lab.close()
    lab.close()
    assert lab.prefix not in _netns_list()
    assert sleeper.returncode is not None
    assert daemonised.returncode is not None
    assert root not in Path("/proc/self/mountinfo").read_text()
    assert not Path(root).exists()
    # the spawned process did see the bind mounts, in its own mount namespace only
    assert root in mounts_while_running


def test_cleanup_stale_removes_only_namespaces_of_dead_runs(lab: Lab) -> None:
    """A leftover namespace named after a dead pid is removed; a live run's lab is kept."""
    stale = "pyhb-999999999-0-a"  # above the kernel's pid_max: that process cannot exist
    subprocess.run(["ip", "netns", "add", stale], check=True)
    try:
        removed = cleanup_stale()
        names = _netns_list()
        assert stale in removed
        assert stale not in names
        assert lab["a"].ns in names
    finally:
        subprocess.run(["ip", "netns", "del", stale], check=False, capture_output=True)
