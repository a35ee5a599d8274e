"""Corosync + Pacemaker on lab nodes (root only): the target of ``pyhb export``.

Each node runs ``corosync -f`` and ``pacemakerd -f`` in its own network, mount and UTS
namespaces. Besides the lab's private /etc/ha.d, /var/lib/heartbeat and /run, a node needs
its own corosync and Pacemaker state (``PACEMAKER_DIRS``): configuration, CIB, logs and
/dev/shm, where libqb keeps its IPC buffers (its sockets are abstract, so per network
namespace already). ``power_off`` is the node's link going down and kill -9 of every
process of the node at once; the
lab's teardown kills whatever is left, daemonised children included, since they stay in
the node's network namespace. Imports stdlib and ``pyhb.lab`` only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any

from pyhb.lab.netns import Node
from pyhb.lab.shell import namespace_pids

PACEMAKER_DIRS: tuple[tuple[str, str], ...] = (
    ("/etc/corosync", "etc-corosync"),
    ("/var/lib/corosync", "var-lib-corosync"),
    ("/var/log/corosync", "var-log-corosync"),
    ("/var/lib/pacemaker", "var-lib-pacemaker"),
    ("/var/log/pacemaker", "var-log-pacemaker"),
    ("/dev/shm", "dev-shm"),  # noqa: S108 - a mount point, replaced by the node's own
)
PACEMAKER_LOG = "/var/log/pacemaker/pacemaker.log"


def install_corosync(node: Node, conf: str, authkey: bytes) -> None:
    """Write the node's /etc/corosync/corosync.conf and authkey (0400)."""
    etc = node.root / "etc-corosync"
    (etc / "corosync.conf").write_text(conf)
    key = etc / "authkey"
    key.write_bytes(authkey)
    key.chmod(0o400)


# A new cluster waits dc-deadtime (20 s) for a DC before electing one; the lab's nodes
# start with an empty configuration that waits 2 s (the test's CIB replaces it).
_SEED_CIB = """\
<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="lab-seed">
        <nvpair id="lab-seed-dc-deadtime" name="dc-deadtime" value="2s"/>
      </cluster_property_set>
    </crm_config>
    <nodes/><resources/><constraints/>
  </configuration>
  <status/>
</cib>
"""


def seed_cib(node: Node) -> None:
    """Give ``node`` a first CIB on disk that elects a DC after 2 s, not 20 s."""
    cib_dir = node.root / "var-lib-pacemaker" / "cib"
    cib = cib_dir / "cib.xml"
    cib.write_text(_SEED_CIB)
    st = cib_dir.stat()
    os.chown(cib, st.st_uid, st.st_gid)
    cib.chmod(0o600)


def start_stack(node: Node) -> list[subprocess.Popen[Any]]:
    """corosync, then pacemakerd, in the foreground inside ``node``."""
    env = {**os.environ, "PCMK_logfile": PACEMAKER_LOG}
    return [node.spawn(["corosync", "-f"]), node.spawn(["pacemakerd", "-f"], env=env)]


def crm_mon(node: Node) -> str:
    """``crm_mon -1`` as seen from ``node`` (empty if the cluster does not answer)."""
    return node.run(["crm_mon", "-1", "-r"], timeout=20).stdout


def both_online(node: Node, names: tuple[str, ...]) -> bool:
    """Whether ``node`` sees a DC and every node in ``names`` online."""
    out = crm_mon(node)
    return "Current DC: " in out and "NONE" not in out and f"Online: [ {' '.join(names)} ]" in out


def power_off(node: Node) -> None:
    """The node loses power: its cable goes dead (its addresses, the VIP too, stop
    answering) and every process of it (corosync, Pacemaker's daemons, agents) gets kill -9."""
    node.link_down()
    for _ in range(3):  # a fork in flight may add a process; it dies on the next pass
        pids = namespace_pids(node.ns)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    for proc in node.processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
