"""Faults on real daemons in namespaces: each step checks that at most one node holds the
group (VIP configured, test service running) and that the client reaches the VIP, and
records the outage the client measured (``harness``).

Timing: keepalive 200 ms, deadtime 1 s. The 30 % loss run lasts ``PYHB_LOSS_SECONDS``
(60 s by default; ``python -m bench.soak`` runs it for 10 minutes).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from pyhb.lab.capture import Capture
from pyhb.lab.cluster import VIP, Cluster, wait_for

from .harness import (
    Measurement,
    OwnersMonitor,
    Pinger,
    false_failovers,
    holders,
    record,
    tsvc_actions,
)

pytestmark = pytest.mark.netns

KEEPALIVE = 0.2
DEADTIME = 1.0
SAMPLE_SLACK = 0.1  # one owners-monitor sample on a loaded 2-core host
STOP_SECONDS = 6.5
LOSS_SECONDS = float(os.environ.get("PYHB_LOSS_SECONDS", "60"))
CMD = "python -m bench.soak"

ClusterFactory = Callable[..., Cluster]


def start_pair(cluster: Cluster, env: dict[str, str] | None = None) -> None:
    cluster.start("a", env)
    cluster.start("b", env)
    wait_for(lambda: tsvc_actions(cluster, "a") == ["one start", "two start"], 20)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 10)
    wait_for(lambda: holders(cluster) == {"a"}, 5)
    assert_client_reaches_vip(cluster)


def assert_client_reaches_vip(cluster: Cluster, wait: float = 5) -> None:
    client = cluster.lab.client
    assert client is not None
    wait_for(lambda: client.ping(VIP, count=1, wait=0.5).received == 1, wait, step=0.05)


def garps_from(capture: Capture, mac: str) -> int:
    """Gratuitous ARPs for the VIP sent from ``mac`` (sender == target)."""
    return sum(1 for p in capture.arp() if p.gratuitous and p.ip == VIP and p.src_mac == mac)


def test_kill_9_of_the_active_node(make_cluster: ClusterFactory) -> None:
    """kill -9 of the active node (the host crashes with it): b takes over after
    deadtime; never two owners; the client reaches the VIP on b."""
    cluster = make_cluster()
    start_pair(cluster)
    with OwnersMonitor(cluster) as mon, Pinger(cluster) as ping:
        time.sleep(0.5)
        t0 = time.monotonic()
        cluster.kill("a")
        cluster.reboot("a")
        t_b = mon.wait(lambda h: h == {"b"}, t0, DEADTIME + 3)
        assert_client_reaches_vip(cluster)
        time.sleep(0.5)
    outage = ping.outage(t0)
    record(
        Measurement(
            "kill -9 of the active node",
            "one owner at every sample; the peer takes over after deadtime",
            outage_ms=round(outage * 1000),
            max_owners=mon.max_owners(),
            owners_seen=mon.owners_seen(),
            converged_ms=round((t_b - t0) * 1000),
            command=f"{CMD} --only kill_9",
        )
    )
    assert mon.max_owners() == 1
    assert t_b - t0 <= DEADTIME + 1.5
    assert outage <= DEADTIME + 2.0
    assert tsvc_actions(cluster, "b") == ["one start", "two start"]


def test_sigstop_past_deadtime_then_sigcont(make_cluster: ClusterFactory) -> None:
    """SIGSTOP of the active node for 6.5 x deadtime: b takes over (both think they own);
    after SIGCONT one owner again within 2 x keepalive, and it is b, which kept serving
    and was not restarted; b re-announces the VIP and the client's cache follows it."""
    cluster = make_cluster()
    start_pair(cluster)
    lab = cluster.lab
    assert lab.client is not None
    b_mac = lab["b"].mac()
    with OwnersMonitor(cluster) as mon, Pinger(cluster) as ping:
        time.sleep(0.3)
        t0 = time.monotonic()
        cluster.procs["a"].send_signal(signal.SIGSTOP)
        mon.wait(lambda h: "b" in h, t0, DEADTIME + 3)
        # Longer than deadtime, and than b's takeover ARP train (10 pairs, 250 ms apart),
        # so a gratuitous ARP from b after SIGCONT can only be a re-announce.
        time.sleep(max(0.0, t0 + STOP_SECONDS - time.monotonic()))
        capture = lab.client.capture("arp")
        resumed = time.monotonic()
        cluster.procs["a"].send_signal(signal.SIGCONT)
        t_one = mon.wait(lambda h: h == {"b"}, resumed, 10)
        time.sleep(1.0)
        capture.stop()
        assert_client_reaches_vip(cluster)
    converged = t_one - resumed
    outage = ping.outage(t0)
    record(
        Measurement(
            "SIGSTOP of the active node past deadtime, then SIGCONT",
            "one owner within 2 x keepalive of SIGCONT; the node that kept serving keeps it "
            "(no restart); it re-announces the VIP",
            outage_ms=round(outage * 1000),
            max_owners=mon.max_owners(since=t_one + SAMPLE_SLACK),
            owners_seen=mon.owners_seen(),
            converged_ms=round(converged * 1000),
            notes="two owners while a is stopped (it cannot act); counted from SIGCONT",
            command=f"{CMD} --only sigstop",
        )
    )
    assert converged <= 2 * KEEPALIVE + SAMPLE_SLACK, f"{converged:.3f} s to one owner"
    assert mon.max_owners(since=t_one + SAMPLE_SLACK) == 1
    assert tsvc_actions(cluster, "b") == ["one start", "two start"]
    assert tsvc_actions(cluster, "a")[-2:] == ["two stop", "one stop"]
    assert garps_from(capture, b_mac) >= 1, capture.lines
    assert lab.client.neighbours().get(VIP) == b_mac


def _split_and_heal(
    cluster: Cluster, name: str, test: str, split: Callable[[], None], heal: Callable[[], None]
) -> None:
    """Shared by link down/up and the UDP partition: a keeps the group it served before,
    b's copy (taken when a went silent) is released on heal, a re-announces."""
    start_pair(cluster)
    lab = cluster.lab
    assert lab.client is not None
    a_mac = lab["a"].mac()
    with OwnersMonitor(cluster) as mon, Pinger(cluster) as ping:
        time.sleep(0.3)
        t0 = time.monotonic()
        split()
        mon.wait(lambda h: h == {"a", "b"}, t0, DEADTIME + 3)
        time.sleep(6.0)  # past b's takeover ARP train: a's ARPs after the heal are new
        assert_client_reaches_vip(cluster)
        capture = lab.client.capture("arp")
        healed = time.monotonic()
        heal()
        t_one = mon.wait(lambda h: h == {"a"}, healed, 10)
        time.sleep(1.0)
        capture.stop()
        assert_client_reaches_vip(cluster)
    converged = t_one - healed
    outage_heal = ping.outage(healed)
    record(
        Measurement(
            name,
            "after the heal one owner within 2 x keepalive + one heartbeat; the node that "
            "served before keeps serving (no restart); it re-announces the VIP",
            outage_ms=round(outage_heal * 1000),
            max_owners=mon.max_owners(since=t_one + SAMPLE_SLACK),
            owners_seen=mon.owners_seen(),
            converged_ms=round(converged * 1000),
            notes=f"outage counted from the heal; whole run {ping.outage(t0) * 1000:.0f} ms",
            command=f"{CMD} --only {test}",
        )
    )
    # The first heartbeat after the heal needs up to one keepalive to arrive.
    assert converged <= 3 * KEEPALIVE + SAMPLE_SLACK, f"{converged:.3f} s to one owner"
    assert mon.max_owners(since=t_one + SAMPLE_SLACK) == 1
    assert tsvc_actions(cluster, "a") == ["one start", "two start"], "a was restarted"
    assert tsvc_actions(cluster, "b") == ["one start", "two start", "two stop", "one stop"]
    assert garps_from(capture, a_mac) >= 1, capture.lines
    assert lab.client.neighbours().get(VIP) == a_mac
    assert outage_heal <= 1.0


def test_link_down_and_up(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster()
    node = cluster.lab["a"]
    _split_and_heal(
        cluster, "link down/up of the active node", "link_down", node.link_down, node.link_up
    )


def test_partition_and_heal(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster()
    lab = cluster.lab
    _split_and_heal(
        cluster,
        "partition (UDP 694 dropped both ways) and heal",
        "partition_and_heal",
        lambda: lab.partition(["a"], ["b"]),
        lab.heal,
    )


def test_thirty_percent_heartbeat_loss(make_cluster: ClusterFactory) -> None:
    """30 % of heartbeat packets dropped at random on each node's input for
    PYHB_LOSS_SECONDS: nobody is declared dead, the group never moves."""
    cluster = make_cluster()
    start_pair(cluster)
    lab = cluster.lab
    with OwnersMonitor(cluster, interval=0.05) as mon, Pinger(cluster, interval=0.05) as ping:
        t0 = time.monotonic()
        for name in ("a", "b"):
            lab[name].set_loss(0.3)
        time.sleep(LOSS_SECONDS)
        lab.heal()
        time.sleep(0.5)
    dead = false_failovers(cluster)
    lost = sum(cluster.ha_log(n).count("lost packet(s)") for n in lab.nodes)
    record(
        Measurement(
            f"30 % random heartbeat loss for {LOSS_SECONDS:g} s",
            "0 false failovers, never two owners",
            outage_ms=round(ping.outage(t0) * 1000),
            max_owners=mon.max_owners(),
            owners_seen=mon.owners_seen(),
            false_failovers=dead,
            duration_s=LOSS_SECONDS,
            settings="keepalive 200 ms, deadtime 1 s, iptables statistic 0.3 on each "
            "node's UDP 694 input",
            notes=f"{lost} gaps in sequence numbers logged (losses seen and recovered)",
            command=f"{CMD} --loss-seconds {LOSS_SECONDS:g} --only heartbeat_loss",
        )
    )
    assert lost > 0, "no loss was seen: the iptables rule did not apply"
    assert dead == 0
    assert mon.max_owners() == 1
    assert mon.owners_seen() == ["a"]


FAILING = """#!/bin/sh
# start fails; the rest behaves like tsvc.
state=/var/lib/heartbeat/tfail.state
case "$1" in
  start) echo "$(date +%s.%N) $(hostname) bad start" >> /var/lib/heartbeat/tsvc.log; exit 1;;
  stop) echo "$(date +%s.%N) $(hostname) bad stop" >> /var/lib/heartbeat/tsvc.log; rm -f $state;;
  status) [ -e $state ] && echo running || echo stopped;;
esac
exit 0
"""

HANGING = """#!/bin/sh
# start hangs with a child in the background; its pids are left for the test.
case "$1" in
  start) sleep 1000 & echo $! > /var/lib/heartbeat/hang.child; echo $$ > /var/lib/heartbeat/hang.pid
         echo "$(date +%s.%N) $(hostname) bad start" >> /var/lib/heartbeat/tsvc.log
         sleep 1000;;
  stop) echo "$(date +%s.%N) $(hostname) bad stop" >> /var/lib/heartbeat/tsvc.log;;
  status) echo stopped;;
esac
exit 0
"""

STUCK = """#!/bin/sh
# stop always fails and the service stays running.
state=/var/lib/heartbeat/stuck.state
case "$1" in
  start) : > $state; echo "$(date +%s.%N) $(hostname) bad start" >> /var/lib/heartbeat/tsvc.log;;
  stop) echo "$(date +%s.%N) $(hostname) bad stop" >> /var/lib/heartbeat/tsvc.log; exit 1;;
  status) [ -e $state ] && echo running || echo stopped;;
esac
exit 0
"""


def _install(cluster: Cluster, node: str, script: str) -> None:
    path = cluster.lab[node].etc_dir / "resource.d" / "bad"
    path.write_text(script)
    path.chmod(0o755)


def _alive(pid_file: os.PathLike[str]) -> bool:
    from pathlib import Path

    try:
        pid = int(Path(pid_file).read_text())
    except (OSError, ValueError):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # A killed orphan may stay a zombie until the host's init reaps it: that is dead.
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.parametrize("kind", ["fails", "hangs"])
def test_resource_start_failure_rolls_back_and_the_peer_takes_over(
    make_cluster: ClusterFactory, kind: str
) -> None:
    """The third resource fails (or hangs past its timeout: its whole process group is
    killed) on a: a stops it and what it started, in reverse; b takes the group."""
    cluster = make_cluster(resources=f"{VIP}/24/hb0 tsvc::one bad tsvc::two")
    _install(cluster, "a", FAILING if kind == "fails" else HANGING)
    _install(cluster, "b", STUCK.replace("exit 1;;", ";; # works here"))
    env = dict(os.environ, PYHB_RSC_TIMEOUT="2")
    with OwnersMonitor(cluster) as mon:
        t0 = time.monotonic()
        cluster.start("a", env)
        cluster.start("b", env)
        t_b = mon.wait(
            lambda h: h == {"b"} and "bad start" in " ".join(tsvc_actions(cluster, "b")), t0, 30
        )  # noqa: E501
        wait_for(lambda: tsvc_actions(cluster, "b")[-1:] == ["two start"], 5)
        assert_client_reaches_vip(cluster)
        time.sleep(1.0)
    record(
        Measurement(
            f"resource start {'failure' if kind == 'fails' else 'hangs (timeout 2 s)'}",
            "the group is rolled back in reverse on the failing node, the peer takes it"
            + ("; the hung script's whole process group is killed" if kind == "hangs" else ""),
            max_owners=mon.max_owners(),
            owners_seen=mon.owners_seen(),
            converged_ms=round((t_b - t0) * 1000),
            notes="converged = from daemon start to the group running on the peer",
            command=f"{CMD} --only 'start_failure and {kind}'",
        )
    )
    assert tsvc_actions(cluster, "a") == ["one start", "bad start", "bad stop", "one stop"]
    assert "Giving up resources due to failure of bad" in cluster.ha_log("a")
    assert "failed to start here: handing it over to b" in cluster.ha_log("a")
    assert tsvc_actions(cluster, "b") == ["one start", "bad start", "two start"]
    assert mon.max_owners() == 1
    assert holders(cluster) == {"b"}
    if kind == "hangs":
        var = cluster.lab["a"].var_lib_dir
        assert "Return code timeout from" in cluster.ha_log("a")
        wait_for(lambda: not _alive(var / "hang.pid"), 3)
        wait_for(lambda: not _alive(var / "hang.child"), 3)  # the child of the hung script
    res = cluster.cl_status("a", "rscstatus")
    assert res.stdout.strip() == "none"


def test_stop_failure_reboots_the_node_and_the_peer_takes_over(
    make_cluster: ClusterFactory,
) -> None:
    """heartbeat -k (SIGTERM) on a whose stop keeps failing (retried, status says still
    running): a fences itself as 3.0.6 does (its reboot command is the lab's power-off,
    which kills every process of the namespace node and clears what a reboot clears), so
    the stop ends in bounded time, and b takes the group after deadtime: one owner."""
    # The watchdog (a regular file stands in for the device: see test_netns_fencing)
    # must stay armed through the fencing reboot.
    cluster = make_cluster(resources=f"{VIP}/24/hb0 tsvc::one bad", extra=["watchdog /dev/wd"])
    _install(cluster, "a", STUCK)
    _install(cluster, "b", STUCK)
    for node in cluster.lab.nodes.values():
        (node.var_lib_dir / "wd").touch()
    start_env = dict(os.environ, HA_STOPRETRYMAX="1", PYHB_WATCHDOG_DEVICE="/var/lib/heartbeat/wd")
    cluster.start("a", start_env)
    cluster.start("b", start_env)
    wait_for(lambda: tsvc_actions(cluster, "a") == ["one start", "bad start"], 20)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 10)
    var_a = cluster.lab["a"].var_lib_dir
    with OwnersMonitor(cluster) as mon:
        t0 = time.monotonic()
        cluster.stop("a", timeout=20)  # returns once a's daemon has ended
        stopped = time.monotonic() - t0
        took = wait_for(lambda: holders(cluster) == {"b"}, DEADTIME + 5)
        wait_for(lambda: "bad start" in tsvc_actions(cluster, "b"), 5)
        time.sleep(1.0)
    record(
        Measurement(
            "resource stop failure",
            "the failed stop is retried (HA_STOPRETRYMAX), then the node reboots itself "
            "(lab: power-off) and the peer takes the group once it is declared dead",
            max_owners=mon.max_owners(),
            owners_seen=mon.owners_seen(),
            converged_ms=round((stopped + took) * 1000),
            notes="converged = from heartbeat -k on the stuck node to the group on the peer",
            command=f"{CMD} --only stop_failure",
        )
    )
    log_a = cluster.ha_log("a")
    assert "Retrying failed stop operation [bad]" in log_a
    assert "Resource STOP failure. Reboot required!" in log_a
    assert "Killing heartbeat ungracefully!" in log_a
    assert "Heartbeat shutdown complete." not in log_a
    assert "reboot" in (var_a / "poweroff.log").read_text()
    assert not (var_a / "stuck.state").exists()  # the power-off stopped it
    assert tsvc_actions(cluster, "a")[-1] == "bad stop"  # fenced before one stops
    assert "node a: is dead" in cluster.ha_log("b")
    assert tsvc_actions(cluster, "b") == ["one start", "bad start"]
    assert mon.max_owners() == 1
    assert b"V" not in (var_a / "wd").read_bytes()  # no magic close: still armed


def test_killed_daemon_restarted_finds_what_it_holds(make_cluster: ClusterFactory) -> None:
    """kill -9 of a's daemon while it holds the group (deadtime 5 s, so b does not take
    over) and a restart: a finds the group via status and starts nothing twice; b sees a
    restart (new generation), not a replay."""
    cluster = make_cluster(keepalive="500ms", deadtime="5", warntime="2", initdead="10")
    start_pair(cluster)
    with OwnersMonitor(cluster) as mon, Pinger(cluster) as ping:
        t0 = time.monotonic()
        cluster.kill("a")
        cluster.start("a")
        wait_for(lambda: "Heartbeat restart on node a" in cluster.ha_log("b"), 15)
        wait_for(lambda: cluster.cl_status("a", "rscstatus").stdout.strip() == "local", 15)
        time.sleep(1.0)
    record(
        Measurement(
            "daemon kill -9 while holding, restarted",
            "the restarted daemon finds its group via status and does not start it again; "
            "the peer sees a restart, not a replay",
            outage_ms=round(ping.outage(t0) * 1000),
            max_owners=mon.max_owners(),
            owners_seen=mon.owners_seen(),
            settings="keepalive 500 ms, deadtime 5 s",
            command=f"{CMD} --only restarted",
        )
    )
    assert tsvc_actions(cluster, "a") == ["one start", "two start"]
    assert tsvc_actions(cluster, "b") == []
    assert "replay" not in cluster.ha_log("b")
    assert ": is dead" not in cluster.ha_log("b")
    assert mon.owners_seen() == ["a"]
