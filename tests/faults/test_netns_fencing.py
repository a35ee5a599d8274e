"""STONITH before takeover with real daemons, cluster-glue's real ``stonith`` command and
an ``external/`` plugin written for the lab (``pyhb.lab.fencing``).

The plugin is installed in a temporary directory that is bind-mounted over cluster-glue's
external plugin directory inside the nodes' private mount namespaces only, so
``/usr/sbin/stonith -t external/pyhb-lab`` finds it there and the host's plugin directory
never changes. Its ``reset HOST`` powers the namespace node off: every process in that
node's network namespace is killed and what a reboot clears (the VIP, the test services'
state) is cleared.

The partition is a's cable going down (link down on the bridge): b declares a dead while
a still runs its group, so b must reset a before taking over.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.fencing import STONITH_TYPE, install_stonith, stonith_calls

from .harness import Measurement, OwnersMonitor, holders, record, tsvc_actions

pytestmark = pytest.mark.netns

ClusterFactory = Callable[..., Cluster]
DEADTIME = 1.0
STONITH = "/usr/sbin/stonith"


@pytest.fixture
def fenced_cluster(make_cluster: ClusterFactory, tmp_path: Path) -> tuple[Cluster, Path]:
    if shutil.which(STONITH) is None or not Path("/usr/lib/stonith/plugins/external").is_dir():
        pytest.skip("cluster-glue's stonith command and external plugins are not installed")
    labdir = tmp_path / "stonith"
    cluster = make_cluster(extra=[f"stonith_host * {STONITH_TYPE} {labdir}"])
    install_stonith(cluster.lab, labdir, ("a", "b"))
    return cluster, labdir


def _start_pair(cluster: Cluster) -> None:
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: tsvc_actions(cluster, "a") == ["one start", "two start"], 20)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 10)
    wait_for(lambda: holders(cluster) == {"a"}, 5)


def _powered_off(labdir: Path, host: str) -> float | None:
    for line in stonith_calls(labdir):
        if line.endswith(f"powered off {host}"):
            return float(line.split()[0])
    return None


@pytest.mark.parametrize("refused", [0, 1])
def test_partitioned_owner_is_reset_before_the_peer_takes_over(
    fenced_cluster: tuple[Cluster, Path], refused: int
) -> None:
    cluster, labdir = fenced_cluster
    (labdir / "fail").write_text(f"{refused}\n")
    _start_pair(cluster)
    a_daemon = cluster.procs["a"]
    with OwnersMonitor(cluster) as mon:
        t0 = time.monotonic()
        cluster.lab["a"].link_down()
        wait_for(lambda: _powered_off(labdir, "a") is not None, DEADTIME + 10 + 6 * refused)
        wait_for(lambda: holders(cluster) == {"b"}, 10)
        took = time.monotonic() - t0
        time.sleep(0.5)
    record(
        Measurement(
            f"STONITH before takeover ({refused} reset(s) refused)",
            "the peer resets the silent owner with stonith (retrying) and only then takes "
            "its group: never two owners",
            max_owners=mon.max_owners(),
            owners_seen=mon.owners_seen(),
            converged_ms=round(took * 1000),
            notes="converged = from the owner's link going down to the group on the peer",
            command=f"python -m bench.soak --only 'partitioned_owner and {refused}'",
        )
    )
    assert mon.max_owners() == 1
    assert a_daemon.wait(5) != 0  # a's daemon died with its node
    resets = [line.split()[1:] for line in stonith_calls(labdir) if " reset " in line]
    assert resets == [["b", "reset", "a"]] * (refused + 1)
    log_b = cluster.ha_log("b")
    assert "Resetting node a with [external/pyhb-lab]" in log_b
    assert log_b.count("STONITH of a failed.  Retrying...") == refused
    assert "node a now reset." in log_b
    assert "No STONITH device configured." not in log_b
    # b started nothing before a was powered off.
    first_start = float(cluster.service_log("b")[0].split()[0])
    powered_off = _powered_off(labdir, "a")
    assert powered_off is not None
    assert first_start > powered_off
    assert tsvc_actions(cluster, "b") == ["one start", "two start"]
    cluster.procs.pop("a")


# -- watchdog ------------------------------------------------------------------------
# The kernel's softdog module cannot be loaded on the test machines and no test may open
# the host's /dev/watchdog: ha.cf names /dev/watchdog, and PYHB_WATCHDOG_DEVICE points
# the daemon at a regular file in the node's private /var/lib/heartbeat instead, whose
# bytes the test reads (the timeout ioctl fails on a file; the daemon logs it).

STAND_IN = "/var/lib/heartbeat/watchdog"


def _watchdog_cluster(make_cluster: ClusterFactory) -> tuple[Cluster, dict[str, str]]:
    cluster = make_cluster(extra=["watchdog /dev/watchdog"])
    for node in cluster.lab.nodes.values():
        (node.var_lib_dir / "watchdog").touch()
    return cluster, dict(os.environ, PYHB_WATCHDOG_DEVICE=STAND_IN)


def test_watchdog_is_written_every_keepalive_and_disarmed_by_a_clean_stop(
    make_cluster: ClusterFactory,
) -> None:
    cluster, env = _watchdog_cluster(make_cluster)
    stand_in = cluster.lab["a"].var_lib_dir / "watchdog"
    cluster.start("a", env)
    wait_for(lambda: stand_in.stat().st_size > 0, 10)
    t0, n0 = time.monotonic(), stand_in.stat().st_size
    time.sleep(2.0)
    written = stand_in.stat().st_size - n0
    per_second = written / (time.monotonic() - t0)
    assert 3 <= per_second <= 6, f"{per_second:.1f} writes/s with keepalive 200 ms"
    cluster.stop("a")
    data = stand_in.read_bytes()
    assert data.endswith(b"V")
    assert set(data[:-1]) == {0}
    log = cluster.ha_log("a")
    assert f"Using watchdog device: {STAND_IN}" in log
    # deadtime 1 s (+10 ms), rounded up; the line 3.0.6 logs for a file (seen in the lab)
    assert "WDIOC_SETTIMEOUT: Failed to set watchdog timer to 2 seconds.: Inappropriate" in log
    assert f"Watchdog device {STAND_IN} disarmed and closed" in log


def test_watchdog_stays_armed_when_the_daemon_is_killed(make_cluster: ClusterFactory) -> None:
    cluster, env = _watchdog_cluster(make_cluster)
    stand_in = cluster.lab["a"].var_lib_dir / "watchdog"
    cluster.start("a", env)
    wait_for(lambda: stand_in.stat().st_size > 2, 10)
    cluster.kill("a")
    size = stand_in.stat().st_size
    time.sleep(0.5)
    data = stand_in.read_bytes()
    assert len(data) == size  # nobody writes it any more: the watchdog would fire
    assert b"V" not in data


def test_a_missing_watchdog_device_stops_the_start(make_cluster: ClusterFactory) -> None:
    cluster, env = _watchdog_cluster(make_cluster)
    env["PYHB_WATCHDOG_DEVICE"] = "/var/lib/heartbeat/no-such-watchdog"
    proc = cluster.start("a", env)
    assert proc.wait(20) != 0
    cluster.procs.pop("a")
    out = "".join(p.read_text() for p in cluster.lab["a"].log_dir.glob("*.log"))
    assert "ha.cf:" in out
    assert "watchdog: no device /var/lib/heartbeat/no-such-watchdog" in out
    assert "Traceback" not in out
