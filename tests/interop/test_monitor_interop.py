"""Resource monitoring next to a Heartbeat 3.0.6 peer (docs/monitoring.md): a group whose
service keeps dying on the pyhb node is handed over with 3.0.6's own requests (standby
with auto_failback on, ip-request-resp in legacy mode); the real Heartbeat takes it, the
client reaches it there, and it comes back only after ``pyhb cleanup``."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.monitored import install, kill_service, served
from pyhb.lab.netns import IFACE
from tests.interop.common import disagreements

pytestmark = pytest.mark.interop

ClusterFactory = Callable[..., Cluster]
GROUP = f"{VIP}/24/{IFACE}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("auto_failback", ["on", None], ids=["on", "legacy"])
def test_a_heartbeat_peer_takes_the_failed_group_and_keeps_it_until_cleanup(
    make_cluster: ClusterFactory, auto_failback: str | None
) -> None:
    cluster = make_cluster(
        real={"b"}, medium="ucast", auto_failback=auto_failback, resources=f"{GROUP} websvc"
    )
    install(cluster, "monitor websvc interval=300ms restarts=0\n")
    cluster.start("a")
    cluster.start("b")
    client = cluster.lab.client
    assert client is not None
    wait_for(lambda: cluster.owners() == ["a"] and served(client), 40, step=0.1)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 10)
    time.sleep(1)  # both settled

    killed = time.monotonic()
    kill_service(cluster, "a")
    wait_for(lambda: cluster.owners() == ["b"] and served(client), 30, step=0.05)
    print(f"service death to served by Heartbeat 3.0.6 on b: {time.monotonic() - killed:.2f}s")
    assert "handing it over to b" in cluster.ha_log("a")

    time.sleep(3)  # nothing pulls it back...
    assert cluster.owners() == ["b"]
    # ...not even a's pyhb restarting (in legacy mode it asks for its groups at start).
    cluster.stop("a")
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "dead", 10)
    cluster.start("a")
    wait_for(lambda: "failed on this node before" in cluster.ha_log("a"), 20, step=0.1)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 30)
    time.sleep(4)
    assert cluster.owners() == ["b"]

    res = cluster.tool("a", cluster.python, "-m", "pyhb.cli.tool", "cleanup", GROUP)
    assert res.returncode == 0, res
    wait_for(lambda: cluster.owners() == ["a"] and served(client), 30, step=0.05)
    assert disagreements(cluster) == []
