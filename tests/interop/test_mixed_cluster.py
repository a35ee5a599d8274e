"""One cluster, two implementations: a pyhb node next to a real Heartbeat 3.0.6 node.

Topology as in tests/integration: two nodes on a private bridge plus a client namespace;
the ``real`` node runs ``/usr/libexec/heartbeat/heartbeat -f`` with its own private
/etc/ha.d, /var/lib/heartbeat and /run, and its own tools (``/usr/bin/cl_status``,
``hb_standby``, ``hb_takeover`` from the package); the other runs pyhb with the very
same ha.cf, authkeys and haresources.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for
from tests.interop.common import disagreements

pytestmark = [pytest.mark.netns, pytest.mark.interop]

KEYS = {
    "sha1": "auth 1\n1 sha1 pyhb-interop-secret\n",
    "md5": "auth 2\n2 md5 pyhb-interop-secret\n",
    "crc": "auth 3\n3 crc\n",
}
MEDIA = ("bcast", "ucast", "mcast")

# What must never appear in either node's logs in steady state: authentication failures
# (both implementations' wordings), replay and sequence drops, lost packets and
# retransmission requests, and history back-pressure.
TROUBLE = re.compile(
    r"authentication|dropped packet|bad packet|replay attack|should_drop_message"
    r"|lost packet|lost a lot|rexmit|retransmi|hist queue is filling",
    re.IGNORECASE,
)

ClusterFactory = Callable[..., Cluster]


def _status(cluster: Cluster, me: str, other: str) -> str:
    return cluster.cl_status(me, "nodestatus", other).stdout.strip()


def _both_active(cluster: Cluster, timeout: float = 20) -> None:
    """Each node's own cl_status reports the other ``active``."""
    for me, other in (("a", "b"), ("b", "a")):
        wait_for(lambda m=me, o=other: _status(cluster, m, o) == "active", timeout, step=0.2)


def _trouble(cluster: Cluster, name: str) -> list[str]:
    lines = cluster.ha_log(name).splitlines()
    debug = cluster.lab[name].var_lib_dir / "ha-debug"
    if debug.exists():
        lines += debug.read_text(errors="replace").splitlines()
    return [line for line in lines if TROUBLE.search(line)]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("auth", ["sha1", "md5", "crc"])
def test_steady_state_on_every_medium(make_cluster: ClusterFactory, auth: str) -> None:
    """For one auth method, three mixed clusters at once, one per medium (bcast, ucast,
    mcast), real Heartbeat on ``a`` and pyhb on ``b``: each node's own ``cl_status``
    reports the other active, the VIP is on exactly one node, and neither node's
    ha-log/ha-debug shows an authentication failure, a replay or sequence drop, a lost
    packet, a retransmission request or "Message hist queue is filling up".

    Steady state lasts 30 s for sha1 (all three media: 150 statuses from each node, with
    acknowledgements every 10) and 10 s for md5 and crc, to keep the suite short: the
    wire, sequence and ack handling are the same for every auth method, only the digest
    differs."""
    steady = 30.0 if auth == "sha1" else 10.0
    clusters = [
        make_cluster(
            real={"a"},
            medium=medium,
            auth=KEYS[auth],
            keepalive="200ms",
            warntime="1",
            deadtime="2",
            initdead="4",
        )  # fmt: skip
        for medium in MEDIA
    ]
    for cluster in clusters:
        cluster.start("a")
        cluster.start("b")
    for cluster in clusters:
        _both_active(cluster)
        wait_for(lambda c=cluster: c.owners() == ["a"], 20)
    time.sleep(steady)
    for cluster in clusters:
        assert _status(cluster, "a", "b") == "active", cluster.medium
        assert _status(cluster, "b", "a") == "active", cluster.medium
        assert cluster.owners() == ["a"], cluster.medium
        for name in ("a", "b"):
            assert _trouble(cluster, name) == [], (cluster.medium, name)
        assert all(proc.poll() is None for proc in cluster.procs.values())


def _actions(cluster: Cluster, node: str) -> list[str]:
    """``tsvc`` calls on ``node`` as ``"name action"``, in order."""
    return [" ".join(line.split()[2:]) for line in cluster.service_log(node)]


def _hands_over(cluster: Cluster, to: str, action: Callable[[], object], timeout: float) -> float:
    """Run ``action``; seconds until ``to`` alone holds the VIP and runs tsvc::two."""
    starts = _actions(cluster, to).count("two start")
    start = time.monotonic()
    action()
    wait_for(lambda: cluster.owners() == [to], timeout)
    wait_for(lambda: _actions(cluster, to).count("two start") > starts, timeout)
    return time.monotonic() - start


def _tool_ok(cluster: Cluster, node: str, *argv: str) -> Callable[[], None]:
    def run() -> None:
        res = cluster.tool(node, *argv)
        assert res.returncode == 0, res

    return run


@pytest.mark.timeout(240)
@pytest.mark.parametrize("real", ["a", "b"], ids=["real-preferred", "pyhb-preferred"])
def test_failover_both_ways(make_cluster: ClusterFactory, real: str) -> None:
    """The preferred node ``a`` is the real Heartbeat (then pyhb on ``b``), or pyhb (then
    the real one on ``b``); ucast, sha1, keepalive 200 ms, deadtime 1 s, auto_failback on.

    In that one cluster: hb_takeover on ``b`` pulls the group over and hb_standby on ``b``
    gives it back, hb_standby and hb_takeover on ``a`` do the same the other way; kill -9 of
    ``a`` moves the VIP and group to ``b`` within deadtime + 1.5 s; when ``a`` comes back
    auto_failback returns the group to it; a graceful stop of ``a`` hands the group to
    ``b``, and of ``b`` leaves ``a`` owning it. Each step's tool is the node's own
    (the package's hb_standby/hb_takeover on the real node). Neither log complains of an
    ownership disagreement ("Both machines own foreign resources!", "No one owns our
    local resources!", a standby message ignored)."""
    deadtime = 1.0
    cluster = make_cluster(
        real={real}, medium="ucast", auth=KEYS["sha1"],
        keepalive="200ms", warntime="500ms", deadtime="1", initdead="4",
    )  # fmt: skip
    a_started = time.monotonic()
    cluster.start("a")
    cluster.start("b")
    _both_active(cluster)
    wait_for(lambda: cluster.owners() == ["a"], 20)
    wait_for(lambda: _actions(cluster, "a") == ["one start", "two start"], 10)
    timings: dict[str, float] = {}

    timings["hb_takeover on b"] = _hands_over(
        cluster, "b", _tool_ok(cluster, "b", "hb_takeover", "all"), 15
    )
    timings["hb_standby on b"] = _hands_over(cluster, "a", _tool_ok(cluster, "b", "hb_standby"), 15)
    timings["hb_standby on a"] = _hands_over(cluster, "b", _tool_ok(cluster, "a", "hb_standby"), 15)
    timings["hb_takeover on a"] = _hands_over(
        cluster, "a", _tool_ok(cluster, "a", "hb_takeover", "all"), 15
    )
    assert _actions(cluster, "b") == ["one start", "two start", "two stop", "one stop"] * 2

    # kill -9 of a: b takes the VIP and the group. Heartbeat advertises deadtime + 2 s
    # during its first 5 s (and pyhb honours it), so a must have run longer than that.
    time.sleep(max(0.0, a_started + 6 - time.monotonic()))
    group_starts = _actions(cluster, "b").count("two start")
    killed = time.monotonic()
    cluster.kill("a")
    timings["kill -9 of a: VIP"] = vip_moved = wait_for(lambda: cluster.owners() == ["b"], 10)
    wait_for(lambda: _actions(cluster, "b").count("two start") > group_starts, 10)
    timings["kill -9 of a: group"] = time.monotonic() - killed
    assert vip_moved <= deadtime + 1.5, vip_moved
    assert cluster.lab.client is not None
    assert cluster.lab.client.ping(VIP, count=1, wait=2).received == 1
    assert _status(cluster, "b", "a") == "dead"

    # a comes back (rebooted): auto_failback on returns the group to it.
    cluster.reboot("a")
    timings["failback to a"] = _hands_over(cluster, "a", lambda: cluster.start("a"), 40)
    _both_active(cluster)

    # Graceful stop of a: it releases, b takes over; a back again takes it back.
    timings["stop of a"] = _hands_over(cluster, "b", lambda: cluster.stop("a"), 30)
    assert not cluster.has_vip("a")
    wait_for(lambda: _status(cluster, "b", "a") == "dead", 5)
    timings["failback after stop"] = _hands_over(cluster, "a", lambda: cluster.start("a"), 40)
    _both_active(cluster)

    # Graceful stop of b (not holding the group): a keeps it and sees b dead.
    cluster.stop("b")
    wait_for(lambda: _status(cluster, "a", "b") == "dead", 5)
    assert cluster.owners() == ["a"]
    print({k: round(v, 2) for k, v in timings.items()})
    for name in ("a", "b"):
        assert not [x for x in _trouble(cluster, name) if "authentication" in x.lower()]
    assert disagreements(cluster) == []


OCF_VIP_INSTANCE = f"""# OCF instance file read by the package's resource.d/OCF wrapper
OCF_RESKEY_ip={VIP}
OCF_RESKEY_cidr_netmask=24
OCF_RESKEY_nic=hb0
"""


def _rules(cluster: Cluster, node: str) -> str:
    return cluster.lab[node].sh(["iptables", "-w", "-S", "INPUT"])


@pytest.mark.timeout(120)
def test_package_wrappers_and_ocf_agents_run_under_pyhb(make_cluster: ClusterFactory) -> None:
    """pyhb (preferred ``a``) next to the real Heartbeat (``b``) runs the group
    ``OCF::IPaddr2::vip portblock::tcp::8080::block tsvc::one``: the package's ``OCF``
    wrapper driving resource-agents' OCF ``IPaddr2`` (the VIP, from
    /etc/ha.d/conf/OCF/IPaddr2/vip, with OCF_AGENTS from the daemons' environment), and
    the package's ``portblock`` wrapper driving the OCF ``portblock`` agent (an iptables
    DROP rule for TCP 8080 in the node's namespace). The group serves the
    client from pyhb, moves to the real node with hb_standby and comes back with
    hb_takeover, both run on pyhb's side."""
    cluster = make_cluster(
        real={"b"}, medium="bcast", auth=KEYS["sha1"],
        keepalive="200ms", warntime="500ms", deadtime="1", initdead="4",
        resources="OCF::IPaddr2::vip portblock::tcp::8080::block tsvc::one",
    )  # fmt: skip
    for node in cluster.lab.nodes.values():
        conf = node.etc_dir / "conf" / "OCF" / "IPaddr2"
        conf.mkdir(parents=True)
        (conf / "vip").write_text(OCF_VIP_INSTANCE)
    # The package's OCF wrapper finds its agent under $OCF_AGENTS, which neither daemon
    # sets: a site gives it in the daemon's environment (the unit's EnvironmentFile).
    env = dict(os.environ, OCF_AGENTS="/usr/lib/ocf/resource.d")
    cluster.start("a", env)
    cluster.start("b", env)
    _both_active(cluster)
    wait_for(lambda: _actions(cluster, "a") == ["one start"], 20)
    assert cluster.owners() == ["a"]
    # IPaddr2 adds the address without an alias label (pyhb's built-in IP agent and
    # the IPaddr wrapper would label it hb0:0): the resource-agents script ran.
    assert "hb0:0" not in cluster.addresses("a")
    log = cluster.ha_log("a")
    assert "Running /etc/ha.d/resource.d/OCF IPaddr2 vip start" in log
    assert "Running /etc/ha.d/resource.d/portblock tcp 8080 block start" in log
    assert "--dports 8080 -j DROP" in _rules(cluster, "a")
    assert "--dports 8080 -j DROP" not in _rules(cluster, "b")
    assert cluster.lab.client is not None
    assert cluster.lab.client.ping(VIP, count=1, wait=2).received == 1

    res = cluster.tool("a", "hb_standby")
    assert res.returncode == 0, res
    wait_for(lambda: cluster.owners() == ["b"], 15)
    wait_for(lambda: _actions(cluster, "b") == ["one start"], 10)
    assert _actions(cluster, "a") == ["one start", "one stop"]
    assert "Running /etc/ha.d/resource.d/OCF IPaddr2 vip stop" in cluster.ha_log("a")
    # The real node's portblock start added its rule; a's stop could not remove its own:
    # with iptables 1.8.9 the agent's status pattern ("tcp" in the prot column, which now
    # reads "6") never matches, under either daemon.
    assert "--dports 8080 -j DROP" in _rules(cluster, "b")
    assert cluster.lab.client.ping(VIP, count=1, wait=2).received == 1

    res = cluster.tool("a", "hb_takeover", "all")
    assert res.returncode == 0, res
    wait_for(lambda: cluster.owners() == ["a"], 15)
    wait_for(lambda: _actions(cluster, "a") == ["one start", "one stop", "one start"], 10)
    assert cluster.lab.client.ping(VIP, count=1, wait=2).received == 1
    assert not [line for line in cluster.ha_log("a").splitlines() if "ERROR" in line]
    assert disagreements(cluster) == []
