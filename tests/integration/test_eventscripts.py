"""A site's own rc.d hooks under pyhb, in namespaces: an edited rc.d/status runs when the
peer dies (its mach_down line runs pyhb's stand-in, which does nothing), and a hook for a
client's message type runs when a client on the peer sends one through the API.

Each node's /etc/ha.d is seeded from the host's heartbeat package: harc, shellfuncs and
Heartbeat's own rc.d scripts, which pyhb leaves alone (docs/eventscripts.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhb.lab.cluster import Cluster, wait_for

pytestmark = pytest.mark.netns

ClusterFactory = Callable[..., Cluster]

HOOK_LOG = "/var/lib/heartbeat/rcd.log"
STATUS_HOOK = f'echo "status: $0 $* src=$HA_src st=$HA_st ostatus=$HA_OSTATUS" >> {HOOK_LOG}\n'
MESSAGE_HOOK = f"""#!/bin/sh
echo "mymessage: $0 $* src=$HA_src payload=$HA_payload from_id=$HA_from_id" >> {HOOK_LOG}
"""
# A named API client (apiauth rcdtest) that signs on and sends one message of its own type.
CLIENT = """
import os, socket, sys
from pyhb.api import ipc
from pyhb.wire.message import HaMessage

s = socket.socket(socket.AF_UNIX)
s.connect("/run/heartbeat/register")

def send(*pairs):
    s.sendall(ipc.encode(HaMessage(pairs)))

def recv():
    head = b""
    while len(head) < 8:
        head += s.recv(8 - len(head))
    body, n = b"", ipc.body_length(head)
    while len(body) < n:
        body += s.recv(n - len(body))
    return ipc.decode_body(body)

pid = str(os.getpid())
send(("t", "hbapi-req"), ("reqtype", "signon"), ("dest", sys.argv[1]), ("pid", pid),
     ("from_id", "rcdtest"), ("uid", "0"), ("gid", "0"))
reply = recv()
while reply.type != "hbapi-resp":  # the cluster's news of our sign-on may come first
    reply = recv()
assert reply.get("result") == "OK", reply
send(("t", "mymessage"), ("payload", "hello from b"))
send(("t", "hbapi-req"), ("reqtype", "signoff"), ("dest", sys.argv[1]), ("pid", pid),
     ("from_id", "rcdtest"))
print("sent")
"""


def _hook_lines(cluster: Cluster, node: str) -> list[str]:
    path = cluster.lab[node].var_lib_dir / "rcd.log"
    return path.read_text().splitlines() if path.exists() else []


def test_site_hooks_run_on_a_peers_death_and_on_a_client_message(
    make_cluster: ClusterFactory,
) -> None:
    cluster = make_cluster(extra=["apiauth rcdtest uid=root"])
    rcd = cluster.lab["a"].etc_dir / "rc.d"
    stock_status = rcd / "status"
    if not (cluster.lab["a"].etc_dir / "harc").is_file() or not stock_status.is_file():
        pytest.skip("the heartbeat package (harc, rc.d) is not installed on this host")
    # The site edited Heartbeat's rc.d/status to also note what happened.
    stock_status.write_text(stock_status.read_text() + STATUS_HOOK)
    hook = rcd / "mymessage"
    hook.write_text(MESSAGE_HOOK)
    hook.chmod(0o755)

    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.cl_status("a", "nodestatus", "b").stdout.strip() == "active", 20)
    wait_for(lambda: cluster.cl_status("b", "hbstatus").returncode == 0, 10)

    sent = cluster.lab["b"].run([sys.executable, "-c", CLIENT, "b"], timeout=20)
    assert sent.stdout.strip() == "sent", sent.stderr
    wait_for(lambda: any(x.startswith("mymessage:") for x in _hook_lines(cluster, "a")), 10)
    (line,) = [x for x in _hook_lines(cluster, "a") if x.startswith("mymessage:")]
    assert line == (
        "mymessage: /etc/ha.d/rc.d/mymessage mymessage src=b payload=hello from b from_id=rcdtest"
    )

    cluster.kill("b")
    dead = "status: /etc/ha.d/rc.d/status status src=b st=dead ostatus=active"
    wait_for(lambda: dead in _hook_lines(cluster, "a"), 10)
    # b's rise was offered too, in order, before its death.
    statuses = [x for x in _hook_lines(cluster, "a") if x.startswith("status:")]
    assert statuses[-1] == dead
    assert "st=active" in statuses[-2]
    log = cluster.ha_log("a")
    assert "info: Running /etc/ha.d/rc.d/status status" in log
    assert "info: mach_down b: not run: pyhb manages resources itself" in log
    # Heartbeat's own rc.d scripts (ip-request …) were left alone: nothing refused.
    assert "is not run" not in log
    assert not Path(cluster.lab["b"].var_lib_dir / "rcd.log").exists()
