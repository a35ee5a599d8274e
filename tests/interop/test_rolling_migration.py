"""A rolling migration from Heartbeat 3.0.6 to pyhb while a client uses the VIP.

Both nodes start on the real Heartbeat; the standby is replaced by pyhb, the group is
failed over to it by a graceful stop of the active real node, and that node is replaced
too. The same /etc/ha.d (ha.cf, authkeys, haresources) and /var/lib/heartbeat (hb_uuid,
hb_generation) serve both implementations on each node. The README's "Migrating from
Heartbeat 3.0.6" lists these steps.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.netns import Host
from tests.interop.common import disagreements

pytestmark = [pytest.mark.netns, pytest.mark.interop]

ClusterFactory = Callable[..., Cluster]
PING_INTERVAL = 0.05
DEADTIME = 2.0
_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from ")


@dataclass
class Watch:
    """The client pings the VIP every 50 ms; a thread samples who holds it every 20 ms."""

    cluster: Cluster
    client: Host
    ping: subprocess.Popen[str] | None = None
    double: list[tuple[float, list[str]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self.ping = subprocess.Popen(
            self.client.netns_argv(["ping", "-n", "-D", "-i", f"{PING_INTERVAL}", VIP]),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            # Every node, daemon running or not: a stopped node must have released.
            holders = [n for n in self.cluster.lab.nodes if self.cluster.has_vip(n)]
            if len(holders) > 1:
                # The nodes are looked at one after the other: a hand-over completed
                # between two looks is not two holders. An earlier holder that still
                # holds when looked at again held the VIP when the last one was seen.
                holders = [n for n in holders[:-1] if self.cluster.has_vip(n)] + holders[-1:]
            if len(holders) > 1:
                self.double.append((time.time(), holders))
            self._stop.wait(0.02)

    def stop(self) -> list[float]:
        """Stop; the wall-clock times of the echo replies the client received."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        assert self.ping is not None
        self.ping.send_signal(signal.SIGINT)
        out, _ = self.ping.communicate(timeout=10)
        return [float(m.group(1)) for line in out.splitlines() if (m := _REPLY.match(line))]


def _outage(replies: list[float], start: float, end: float) -> float:
    """The longest time without a reply within [start, end], less one ping interval."""
    inside = [t for t in replies if start <= t <= end]
    before = [t for t in replies if t < start]
    points = ([before[-1]] if before else [start]) + inside + [end]
    longest = max(b - a for a, b in zip(points, points[1:], strict=False))
    return max(0.0, longest - PING_INTERVAL)


def _status(cluster: Cluster, me: str, other: str) -> str:
    return cluster.cl_status(me, "nodestatus", other).stdout.strip()


def _both_active(cluster: Cluster, timeout: float = 30) -> None:
    for me, other in (("a", "b"), ("b", "a")):
        wait_for(lambda m=me, o=other: _status(cluster, m, o) == "active", timeout, step=0.2)


@pytest.mark.timeout(240)
def test_rolling_migration_from_heartbeat_to_pyhb(make_cluster: ClusterFactory) -> None:
    """Two real Heartbeat nodes serve the VIP (``a`` preferred, auto_failback on, bcast,
    sha1, keepalive 200 ms, deadtime 2 s). Step 1: stop the standby ``b``'s Heartbeat and
    start pyhb there. Step 2: stop Heartbeat on ``a``: pyhb on ``b`` takes the group.
    Step 3: start pyhb on ``a``: auto_failback returns the group to it. Through every step
    the client's pings to the VIP go unanswered for at most one deadtime, and never do two
    nodes hold the VIP at once; after each step each node's own cl_status reports the
    other active. Then the package's /usr/share/heartbeat/hb_standby and hb_takeover, run
    on the migrated ``a``, move the group to ``b`` and back under the same watch. No log
    complains of an ownership disagreement."""
    cluster = make_cluster(
        real={"a", "b"}, medium="bcast", auth="auth 1\n1 sha1 pyhb-migration-secret\n",
        keepalive="200ms", warntime="1", deadtime=f"{DEADTIME:g}", initdead="10",
    )  # fmt: skip
    client = cluster.lab.client
    assert client is not None
    cluster.start("a")
    cluster.start("b")
    _both_active(cluster)
    wait_for(lambda: cluster.owners() == ["a"], 30)
    wait_for(lambda: client.ping(VIP, count=1, wait=1).received == 1, 10)

    watch = Watch(cluster, client)
    watch.start()
    steps: list[tuple[str, float, float]] = []
    try:
        time.sleep(1)

        # Step 1: the standby b moves from Heartbeat to pyhb; the group stays on a.
        t0 = time.time()
        cluster.stop("b")
        cluster.real.discard("b")
        cluster.start("b")
        _both_active(cluster)
        time.sleep(1)
        assert cluster.owners() == ["a"]
        steps.append(("replace standby b", t0, time.time()))

        # Step 2: Heartbeat on a stops; pyhb on b takes the group over.
        t0 = time.time()
        cluster.stop("a")
        wait_for(lambda: cluster.owners() == ["b"], 15)
        wait_for(lambda: client.ping(VIP, count=1, wait=1).received == 1, 10)
        time.sleep(1)
        steps.append(("fail over to pyhb b", t0, time.time()))

        # Step 3: a comes back on pyhb; auto_failback returns the group to it.
        t0 = time.time()
        cluster.real.discard("a")
        cluster.start("a")
        _both_active(cluster)
        wait_for(lambda: cluster.owners() == ["a"], 30)
        wait_for(lambda: client.ping(VIP, count=1, wait=1).received == 1, 10)
        time.sleep(1)
        steps.append(("replace a, failback", t0, time.time()))

        # The package's own hb_standby and hb_takeover, still installed, drive pyhb.
        for tool, owner in (("hb_standby", "b"), ("hb_takeover", "a")):
            t0 = time.time()
            res = cluster.lab["a"].run([f"/usr/share/heartbeat/{tool}"], timeout=10)
            assert res.returncode == 0, res
            wait_for(lambda o=owner: cluster.owners() == [o], 15)
            wait_for(lambda: client.ping(VIP, count=1, wait=1).received == 1, 10)
            time.sleep(1)
            steps.append((f"package {tool} on a", t0, time.time()))
    finally:
        replies = watch.stop()

    outages = {name: round(_outage(replies, t0, t1), 2) for name, t0, t1 in steps}
    span = steps[-1][2] - steps[0][1]
    print("outage per step (s):", outages, f"{len(replies)} replies over {span:.1f} s")
    assert len(replies) * PING_INTERVAL >= span / 2, "the client was not pinging"
    assert watch.double == [], f"two nodes held {VIP} at once: {watch.double[:5]}"
    for name, outage in outages.items():
        assert outage <= DEADTIME, (name, outage)
    # Both nodes now run pyhb and still know each other as before.
    assert not cluster.real
    assert disagreements(cluster) == []
    assert _status(cluster, "a", "b") == "active"
    assert _status(cluster, "b", "a") == "active"
