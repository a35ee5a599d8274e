"""Two pyhb daemons in network namespaces fail a virtual IP and a resource group over.

Each node runs ``python -m pyhb -f`` in its own network, mount and UTS namespace with a
private /etc/ha.d, /var/lib/heartbeat and /run; a third namespace is the client. The
resource group is ``10.77.0.100/24/hb0 tsvc::one tsvc::two``: ``tsvc`` is a test service
that logs ``<time> <node> <name> start|stop`` so order can be proven.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for

pytestmark = pytest.mark.netns

KEEPALIVE = 0.2
DEADTIME = 1.0

ClusterFactory = Callable[..., Cluster]


def _actions(cluster: Cluster, node: str) -> list[str]:
    """``tsvc`` calls on ``node`` as ``"name action"``, in order."""
    return [" ".join(line.split()[2:]) for line in cluster.service_log(node)]


def _start_both(cluster: Cluster) -> None:
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.has_vip("a"), 15)
    wait_for(lambda: _actions(cluster, "a") == ["one start", "two start"], 5)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 5)


@pytest.mark.parametrize("medium", ["bcast", "ucast", "mcast"])
def test_kill_of_primary_moves_vip_and_failback_returns_it(
    make_cluster: ClusterFactory, medium: str
) -> None:
    cluster = make_cluster(medium=medium)
    lab = cluster.lab
    assert lab.client is not None
    _start_both(cluster)

    # Both active, each sees the other, the VIP only on the preferred node.
    for me, other in (("a", "b"), ("b", "a")):
        res = cluster.cl_status(me, "nodestatus", other)
        assert (res.returncode, res.stdout.strip()) == (0, "active"), res
        listed = cluster.cl_status(me, "listnodes").stdout.split()
        assert sorted(listed) == ["a", "b"]
    assert cluster.owners() == ["a"]
    assert lab.client.ping(VIP, count=1).received == 1

    # kill -9 of the primary: VIP and a gratuitous ARP from b within deadtime + 1 s.
    capture = lab.client.capture("arp")
    killed = time.monotonic()
    cluster.kill("a")
    took = wait_for(lambda: cluster.has_vip("b"), DEADTIME + 1)
    time.sleep(max(0.0, killed + DEADTIME + 1 - time.monotonic()))
    capture.stop()
    b_mac = lab["b"].mac()
    garps = [p for p in capture.arp() if p.gratuitous and p.ip == VIP and p.src_mac == b_mac]
    assert garps, f"no gratuitous ARP for {VIP} from b within {DEADTIME + 1} s: {capture.lines}"
    assert took <= DEADTIME + 1
    assert cluster.owners() == ["b"]
    wait_for(lambda: _actions(cluster, "b") == ["one start", "two start"], 5)
    assert lab.client.ping(VIP, count=1, wait=2).received == 1
    assert lab.client.neighbours().get(VIP) == b_mac

    # The primary reboots and comes back: auto_failback on returns the group, stopped
    # right to left on b before a starts it.
    cluster.reboot("a")
    cluster.start("a")
    wait_for(lambda: cluster.owners() == ["a"], 15)
    wait_for(lambda: _actions(cluster, "a") == ["one start", "two start"] * 2, 5)
    assert _actions(cluster, "b") == ["one start", "two start", "two stop", "one stop"]
    stamps_b = [float(line.split()[0]) for line in cluster.service_log("b")]
    first_a_restart = float(cluster.service_log("a")[-2].split()[0])
    assert stamps_b == sorted(stamps_b)
    assert stamps_b[-1] <= first_a_restart, "a started before b had released the group"


def test_auto_failback_off_leaves_group_on_survivor(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster(auto_failback="off")
    _start_both(cluster)
    cluster.kill("a")
    wait_for(lambda: cluster.owners() == ["b"], DEADTIME + 1)
    cluster.reboot("a")
    cluster.start("a")
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 15)
    wait_for(lambda: cluster.cl_status("a", "rscstatus").stdout.strip() == "none", 5)
    time.sleep(2 * DEADTIME)
    assert cluster.owners() == ["b"]
    assert cluster.cl_status("b", "rscstatus").stdout.strip() == "all"
    assert _actions(cluster, "b") == ["one start", "two start"]


def test_hb_standby_and_hb_takeover_move_the_group(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster(auto_failback="on")
    _start_both(cluster)

    res = cluster.tool("a", "hb_standby")
    assert res.returncode == 0, res
    wait_for(lambda: cluster.owners() == ["b"], 5)
    wait_for(lambda: _actions(cluster, "b") == ["one start", "two start"], 5)
    assert _actions(cluster, "a") == ["one start", "two start", "two stop", "one stop"]

    res = cluster.tool("a", "hb_takeover", "all")
    assert res.returncode == 0, res
    wait_for(lambda: cluster.owners() == ["a"], 5)
    wait_for(lambda: len(_actions(cluster, "a")) == 6, 5)
    assert _actions(cluster, "a")[-2:] == ["one start", "two start"]
    assert _actions(cluster, "b")[-2:] == ["two stop", "one stop"]


def test_graceful_stop_releases_in_reverse_and_peer_takes_over(
    make_cluster: ClusterFactory,
) -> None:
    cluster = make_cluster()
    _start_both(cluster)
    cluster.stop("a")
    assert _actions(cluster, "a") == ["one start", "two start", "two stop", "one stop"]
    assert not cluster.has_vip("a")
    wait_for(lambda: cluster.owners() == ["b"], 3)
    wait_for(lambda: _actions(cluster, "b") == ["one start", "two start"], 5)
    log = (cluster.lab["a"].var_lib_dir / "ha-log").read_text()
    assert "Heartbeat shutdown in progress." in log
    assert "Heartbeat shutdown complete." in log
    res = cluster.cl_status("b", "nodestatus", "a")
    assert res.stdout.strip() == "dead"


def _mounts_of(cluster: Cluster, node: str) -> str:
    """/proc/mounts as seen by the node's daemon (its private mount namespace)."""
    pid = cluster.procs[node].pid
    return Path(f"/proc/{pid}/mounts").read_text()


@pytest.fixture
def loop_image(tmp_path: Path) -> Iterator[str]:
    """An ext4 image on a loop device, shared by both nodes like a shared disk."""
    from pyhb.lab.shell import sh

    image = tmp_path / "disk.img"
    with image.open("wb") as f:
        f.truncate(16 * 1024 * 1024)
    sh(["mkfs.ext4", "-q", "-F", str(image)])
    device = sh(["losetup", "--find", "--show", str(image)]).strip()
    try:
        yield device
    finally:
        sh(["losetup", "-d", device], check=False)


@pytest.mark.parametrize(
    "agents",
    [
        pytest.param("pyhb", id="pyhb-Filesystem"),
        pytest.param("package", id="heartbeat-package-Filesystem"),
    ],
)
def test_filesystem_on_loop_device_follows_the_group(
    make_cluster: ClusterFactory, loop_image: str, agents: str
) -> None:
    """pyhb's own Filesystem agent (empty /etc/ha.d/resource.d), and the Debian package's
    resource.d wrapper around the OCF agent (/etc/ha.d seeded from the installed package)."""
    mnt = "/var/lib/heartbeat/mnt"
    seeded = agents == "package"
    if seeded and not Path("/etc/ha.d/resource.d/Filesystem").exists():
        pytest.skip("the heartbeat package is not installed")
    cluster = make_cluster(
        resources=f"{VIP}/24/hb0 Filesystem::{loop_image}::{mnt}::ext4", seed_from_host=seeded
    )
    script = cluster.lab["a"].etc_dir / "resource.d" / "Filesystem"
    assert script.exists() == seeded
    for node in cluster.lab.nodes.values():
        (node.var_lib_dir / "mnt").mkdir()
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: f"{loop_image} {mnt} ext4" in _mounts_of(cluster, "a"), 15)
    assert cluster.has_vip("a")
    assert loop_image not in _mounts_of(cluster, "b")

    res = cluster.tool("a", "hb_standby")
    assert res.returncode == 0, res
    wait_for(lambda: f"{loop_image} {mnt} ext4" in _mounts_of(cluster, "b"), 10)
    assert loop_image not in _mounts_of(cluster, "a")
    assert cluster.owners() == ["b"]


DRBDADM = """#!/bin/sh
# Stand-in for drbdadm (no DRBD kernel module here): records argv, keeps the role.
echo "$(hostname) $*" >> /var/lib/heartbeat/drbdadm.calls
state=/var/lib/heartbeat/drbd-role
case "$1" in
  primary) echo Primary > "$state";;
  secondary) echo Secondary > "$state";;
  role|state) if [ -e "$state" ]; then cat "$state"; else echo Secondary; fi;;
esac
exit 0
"""


def test_drbddisk_drives_drbdadm(make_cluster: ClusterFactory) -> None:
    """pyhb's drbddisk::r0 against a recording stand-in ``drbdadm`` (no DRBD module on this
    host). The nodes' /etc/ha.d is not seeded from the host: drbd-utils installs its own
    drbddisk there, which runs /sbin/drbdadm whatever PATH says."""
    bindir = "/var/lib/heartbeat/bin"
    cluster = make_cluster(
        seed_from_host=False,
        resources=f"drbddisk::r0 {VIP}/24/hb0 tsvc::one",
    )
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    for node in cluster.lab.nodes.values():
        fake = node.var_lib_dir / "bin" / "drbdadm"
        fake.parent.mkdir()
        fake.write_text(DRBDADM)
        fake.chmod(0o755)
    cluster.start("a", env)
    cluster.start("b", env)
    wait_for(lambda: _actions(cluster, "a") == ["one start"], 15)

    def calls(node: str) -> list[str]:
        path = cluster.lab[node].var_lib_dir / "drbdadm.calls"
        return path.read_text().splitlines() if path.exists() else []

    assert "a primary r0" in calls("a")
    assert not [c for c in calls("b") if "primary" in c]
    res = cluster.tool("a", "hb_standby")
    assert res.returncode == 0, res
    wait_for(lambda: "b primary r0" in calls("b"), 10)
    a_calls = calls("a")
    assert "a secondary r0" in a_calls
    assert a_calls.index("a secondary r0") > a_calls.index("a primary r0")
    assert cluster.owners() == ["b"]
