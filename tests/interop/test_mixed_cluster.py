"""One cluster, two implementations: a pyhb node next to a real Heartbeat 3.0.6 node.

Topology as in tests/integration: two nodes on a private bridge plus a client namespace;
the ``real`` node runs ``/usr/libexec/heartbeat/heartbeat -f`` with its own private
/etc/ha.d, /var/lib/heartbeat and /run, and its own tools (``/usr/bin/cl_status``,
``hb_standby``, ``hb_takeover`` from the package); the other runs pyhb with the very
same ha.cf, authkeys and haresources.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for

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
    r"|lost packet|lost a lot|rexmit|retransmi|hist queue is filling|Late heartbeat",
    re.IGNORECASE,
)

ClusterFactory = Callable[..., Cluster]


def _status(cluster: Cluster, me: str, other: str) -> str:
    return cluster.cl_status(me, "nodestatus", other).stdout.strip()


def _both_active(cluster: Cluster, timeout: float = 20) -> None:
    """Each node's own cl_status reports the other ``active``."""
    for me, other in (("a", "b"), ("b", "a")):
        wait_for(lambda: _status(cluster, me, other) == "active", timeout, step=0.2)


def _trouble(cluster: Cluster, name: str) -> list[str]:
    lines = cluster.ha_log(name).splitlines()
    debug = cluster.lab[name].var_lib_dir / "ha-debug"
    if debug.exists():
        lines += debug.read_text().splitlines()
    return [line for line in lines if TROUBLE.search(line)]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("auth", ["sha1", "md5", "crc"])
def test_steady_state_on_every_medium(make_cluster: ClusterFactory, auth: str) -> None:
    """For one auth method, three mixed clusters at once, one per medium (bcast, ucast,
    mcast), real Heartbeat on ``a`` and pyhb on ``b``: each node's own ``cl_status``
    reports the other active, the VIP is on exactly one node, and neither node's
    ha-log/ha-debug shows an authentication failure, a replay or sequence drop, a lost
    packet, a retransmission request or "Message hist queue is filling up".

    Steady state lasts 60 s for sha1 (all three media) and 10 s for md5 and crc, to keep
    the suite short: the wire, sequence and ack handling are the same for every auth
    method, only the digest differs."""
    steady = 60.0 if auth == "sha1" else 10.0
    clusters = [
        make_cluster(
            real={"a"}, medium=medium, auth=KEYS[auth],
            keepalive="200ms", warntime="1", deadtime="2", initdead="4",
        )  # fmt: skip
        for medium in MEDIA
    ]
    for cluster in clusters:
        cluster.start("a")
        cluster.start("b")
    for cluster in clusters:
        _both_active(cluster)
        wait_for(lambda: cluster.owners() == ["a"], 20)
    time.sleep(steady)
    for cluster in clusters:
        assert _status(cluster, "a", "b") == "active", cluster.medium
        assert _status(cluster, "b", "a") == "active", cluster.medium
        assert cluster.owners() == ["a"], cluster.medium
        for name in ("a", "b"):
            assert _trouble(cluster, name) == [], (cluster.medium, name)
        assert all(proc.poll() is None for proc in cluster.procs.values())
