"""IPaddr / IPaddr2 / SendArp for real, inside a network namespace made by the test.

Every address is 10.77.31.x on a veth pair that exists only inside the namespace; the
gratuitous ARP frames are captured with tcpdump on the peer end of the pair.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhb.agents.arp import garp_frames

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("tcpdump"),
        reason="needs root, iproute2 and tcpdump",
    ),
]

MAC = "02:77:00:00:31:01"
FAST_ARP = {"OCF_RESKEY_ARP_REPEAT": "3", "OCF_RESKEY_ARP_INTERVAL_MS": "100"}


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=30)


class Netns:
    def __init__(self, name: str, rundir: Path) -> None:
        self.name, self.rundir = name, rundir

    def run(
        self, *argv: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {"PATH": os.environ["PATH"], "HA_RSCTMP": str(self.rundir), **(env or {})}
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            env=full_env,
            check=False,
            timeout=60,
        )

    def agent(
        self, module: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", module, *args, env=env)

    def addrs(self) -> str:
        return sh("ip", "-n", self.name, "-4", "addr", "show", "dev", "v0").stdout


@pytest.fixture
def netns(tmp_path: Path) -> Iterator[Netns]:
    name = f"pyhbt-{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", name)
    try:
        sh(
            "ip",
            "-n",
            name,
            "link",
            "add",
            "v0",
            "address",
            MAC,
            "type",
            "veth",
            "peer",
            "name",
            "v1",
        )
        for dev in ("lo", "v0", "v1"):
            sh("ip", "-n", name, "link", "set", dev, "up")
        sh("ip", "-n", name, "addr", "add", "10.77.31.1/24", "dev", "v0")
        yield Netns(name, tmp_path / "run")
    finally:
        pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        sh("ip", "netns", "del", name, check=False)


class Capture:
    """tcpdump on v1 (the far end of the pair), ARP only, written to a pcap file."""

    def __init__(self, ns: Netns, path: Path) -> None:
        self.path = path
        self.proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns.name,
                "tcpdump",
                "--immediate-mode",
                "-i",
                "v1",
                "-U",
                "-n",
                "-w",
                str(path),
                "arp",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        assert "listening" in line, line

    def frames(self) -> list[tuple[float, bytes]]:
        time.sleep(0.1)
        self.proc.send_signal(signal.SIGINT)
        self.proc.communicate(timeout=10)
        from scapy.utils import rdpcap

        return [(float(p.time), bytes(p)) for p in rdpcap(str(self.path))]


@pytest.fixture
def capture(netns: Netns, tmp_path: Path) -> Iterator[Capture]:
    cap = Capture(netns, tmp_path / "arp.pcap")
    yield cap
    if cap.proc.poll() is None:
        cap.proc.kill()
        cap.proc.wait()


def _assert_train(frames: list[tuple[float, bytes]], ip: str, count: int) -> None:
    request, reply = garp_frames(MAC, ip)
    assert [f for _, f in frames] == [request, reply] * (count // 2)


def test_ipaddr_script_start_status_stop(netns: Netns, capture: Capture) -> None:
    """The IPaddr script adds the address as v0:0, announces it, reports status, removes it."""
    start = netns.agent("pyhb.agents.ipaddr", "10.77.31.100/24/v0", "start", env=FAST_ARP)
    assert start.returncode == 0, start.stdout + start.stderr
    assert "inet 10.77.31.100/24 brd 10.77.31.255 scope global secondary v0:0" in netns.addrs()
    status = netns.agent("pyhb.agents.ipaddr", "10.77.31.100/24/v0", "status")
    assert (status.returncode, status.stdout) == (0, "INFO:  Running OK\n")
    time.sleep(0.5)  # let the 3-pair train finish
    _assert_train(capture.frames(), "10.77.31.100", 6)
    stop = netns.agent("pyhb.agents.ipaddr", "10.77.31.100/24/v0", "stop")
    assert stop.returncode == 0
    assert "10.77.31.100" not in netns.addrs()
    status = netns.agent("pyhb.agents.ipaddr", "10.77.31.100/24/v0", "status")
    assert (status.returncode, status.stdout) == (3, "INFO:  Resource is stopped\n")


def test_ipaddr_start_and_stop_are_idempotent(netns: Netns) -> None:
    """A second start and a second stop both succeed without changing anything."""
    for _ in range(2):
        assert (
            netns.agent("pyhb.agents.ipaddr", "10.77.31.102", "start", env=FAST_ARP).returncode == 0
        )
    assert netns.addrs().count("10.77.31.102") == 1
    for _ in range(2):
        assert netns.agent("pyhb.agents.ipaddr", "10.77.31.102", "stop").returncode == 0
    assert "10.77.31.102" not in netns.addrs()


def test_ipaddr_derives_nic_and_netmask_from_the_configured_subnet(netns: Netns) -> None:
    """A bare IP lands on the interface whose subnet holds it, with that prefix and broadcast."""
    assert netns.agent("pyhb.agents.ipaddr", "10.77.31.101", "start", env=FAST_ARP).returncode == 0
    assert "inet 10.77.31.101/24 brd 10.77.31.255 scope global secondary v0:0" in netns.addrs()


def test_ipaddr_outside_every_subnet_fails_start(netns: Netns) -> None:
    """With no NIC given and no subnet containing the IP, start fails and adds nothing."""
    result = netns.agent("pyhb.agents.ipaddr", "10.77.99.1", "start")
    assert result.returncode == 1
    assert "Generic error" in result.stdout
    assert "10.77.99.1" not in netns.addrs()


def test_ipaddr2_uses_the_given_label_only(netns: Netns) -> None:
    """IPaddr2 with NIC:LABEL labels the address v0:web; without a label it adds none."""
    ok = netns.agent(
        "pyhb.agents.ipaddr", "--kind", "IPaddr2", "10.77.31.110/24/v0:web", "start", env=FAST_ARP
    )
    assert ok.returncode == 0
    ok = netns.agent(
        "pyhb.agents.ipaddr", "--kind", "IPaddr2", "10.77.31.111/24/v0", "start", env=FAST_ARP
    )
    assert ok.returncode == 0
    addrs = netns.addrs()
    assert "10.77.31.110/24 brd 10.77.31.255 scope global secondary v0:web" in addrs
    assert "10.77.31.111/24 brd 10.77.31.255 scope global secondary v0\n" in addrs


def test_stop_cancels_a_running_arp_train(netns: Netns, capture: Capture) -> None:
    """stop of the address kills the background train (its pid file goes too)."""
    slow = {"OCF_RESKEY_ARP_REPEAT": "20", "OCF_RESKEY_ARP_INTERVAL_MS": "400"}
    assert (
        netns.agent("pyhb.agents.ipaddr", "10.77.31.120/24/v0", "start", env=slow).returncode == 0
    )
    pidfile = netns.rundir / "send_arp-10.77.31.120"
    assert pidfile.exists()
    time.sleep(0.5)
    assert netns.agent("pyhb.agents.ipaddr", "10.77.31.120/24/v0", "stop").returncode == 0
    stopped = time.time()
    assert not pidfile.exists()
    time.sleep(1.0)  # 2.5 intervals: a train still running would send 2 more frames
    frames = capture.frames()
    assert 1 <= len(frames) < 20
    # the capture clock and ours are the same host clock; 0.1 s covers a frame in flight
    assert all(t <= stopped + 0.1 for t, _ in frames), [t - stopped for t, _ in frames]


def test_sendarp_announces_without_adding_the_address(netns: Netns, capture: Capture) -> None:
    """SendArp sends the train for IP/NIC and tracks running state, adding no address."""
    start = netns.agent("pyhb.agents.sendarp", "10.77.31.130/v0", "start", env=FAST_ARP)
    assert start.returncode == 0, start.stdout + start.stderr
    assert "10.77.31.130" not in netns.addrs()
    assert (
        netns.agent("pyhb.agents.sendarp", "10.77.31.130/v0", "status").stdout
        == "INFO:  Running OK\n"
    )
    time.sleep(0.5)
    _assert_train(capture.frames(), "10.77.31.130", 6)
    assert netns.agent("pyhb.agents.sendarp", "10.77.31.130/v0", "stop").returncode == 0
    status = netns.agent("pyhb.agents.sendarp", "10.77.31.130/v0", "status")
    assert status.stdout == "INFO:  Resource is stopped\n"


IN_PROCESS = r"""
import asyncio, json, sys, time
from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.shipped import agent_dir
from pyhb.resources.runner import ResourceRunner

async def main():
    ip = ResourceRef("IPaddr", ("10.77.31.140/24/v0",), "IPaddr::10.77.31.140/24/v0")
    group = ResourceGroup("node1", (ip,), ip.text)
    runner = ResourceRunner([agent_dir()], {"HA_RSCTMP": sys.argv[1]}, enforce_owner=False)
    runner.prepare([group])
    t0 = time.perf_counter()
    take = await runner.take_group(group)
    t1 = time.perf_counter()
    start_step = [s for s in take.steps if s.action == "start"][0]
    await asyncio.sleep(5.0)
    give = await runner.give_group(group)
    runner.close()
    print(json.dumps({"take_ok": take.ok, "give_ok": give.ok, "take_ms": (t1 - t0) * 1000,
                      "start_ms": (start_step.finished - start_step.started) * 1000}))

asyncio.run(main())
"""


def test_in_process_ipaddr_takes_group_and_sends_default_train(
    netns: Netns, capture: Capture
) -> None:
    """In-process IPaddr adds the address and sends 10 request/reply pairs 250 ms apart."""
    result = netns.run(sys.executable, "-c", IN_PROCESS, str(netns.rundir))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["take_ok"]
    assert report["give_ok"]
    assert report["start_ms"] < 50
    assert "10.77.31.140" not in netns.addrs()
    frames = capture.frames()
    _assert_train(frames, "10.77.31.140", 20)
    gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:], strict=False)]
    assert all(0.2 < g < 0.35 for g in gaps), gaps


ANNOUNCE = r"""
import asyncio, json, sys
from pyhb.agents.arp import GarpPlan
from pyhb.agents.registry import build_registry
from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.shipped import agent_dir
from pyhb.resources.runner import ResourceRunner

async def main():
    held = ResourceRef("IPaddr", ("10.77.31.150/24/v0",), "IPaddr::10.77.31.150/24/v0")
    other = ResourceRef("IPaddr", ("10.77.31.151/24/v0",), "IPaddr::10.77.31.151/24/v0")
    agents = build_registry(__import__("pathlib").Path(sys.argv[1]), GarpPlan(2, 0.1))
    runner = ResourceRunner([agent_dir()], {"HA_RSCTMP": sys.argv[1]},
                            enforce_owner=False, agents=agents)
    group = ResourceGroup("node1", (held,), held.text)
    take = await runner.take_group(group)
    await asyncio.sleep(0.5)
    print("MARK", flush=True)
    again = await runner.announce(group)
    missing = await runner.announce(ResourceGroup("node1", (other,), other.text))
    await asyncio.sleep(0.5)
    await runner.give_group(group)
    runner.close()
    print(json.dumps({"take_ok": take.ok, "again": again, "missing": missing}))

asyncio.run(main())
"""


def test_announce_resends_the_train_only_for_addresses_held_here(
    netns: Netns, capture: Capture
) -> None:
    """``ResourceRunner.announce``: a second full train for the held address after the first
    one ended, nothing for an address that is not configured here."""
    result = netns.run(sys.executable, "-c", ANNOUNCE, str(netns.rundir))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["take_ok"]
    assert report["again"] == ["IPaddr::10.77.31.150/24/v0"]
    assert report["missing"] == []
    frames = capture.frames()
    _assert_train(frames, "10.77.31.150", 8)  # 2 x (2 request/reply pairs): start + announce
    gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:], strict=False)]
    assert max(gaps) > 0.3, gaps  # the second train came after the first had ended
