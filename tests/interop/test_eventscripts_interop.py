"""The same site hook (an edited rc.d/status) under pyhb and under the real Heartbeat
3.0.6, in one cluster: it runs at the same event, through the package's harc, with the
same arguments and the same HA_* variables but those docs/eventscripts.md lists."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster, wait_for

pytestmark = pytest.mark.interop

ClusterFactory = Callable[..., Cluster]

DUMP = """
dump=/var/lib/heartbeat/env-$HA_st-$HA_src
echo "argv=$0 $*" > $dump.tmp
echo "cwd=$(pwd)" >> $dump.tmp
env | grep -E '^(HA_|OCF_ROOT=)' | sort >> $dump.tmp
mv $dump.tmp $dump
"""


STATUS_PACKET_FIELDS = ("auth", "dt", "hg", "ld", "protocol", "seq", "ts", "ttl")


def _dump(cluster: Cluster, node: str, peer: str) -> dict[str, str]:
    path = cluster.lab[node].var_lib_dir / f"env-active-{peer}"
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.mark.timeout(120)
def test_a_status_hook_gets_what_3_0_6_gives_it(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster(real={"a"}, auto_failback="on")
    for node in cluster.lab.nodes.values():
        status = node.etc_dir / "rc.d" / "status"
        status.write_text(status.read_text() + DUMP)
    cluster.start("a")
    cluster.start("b")
    for node, peer in (("a", "b"), ("b", "a")):
        path = cluster.lab[node].var_lib_dir / f"env-active-{peer}"
        wait_for(path.exists, 30)
    real, ours = _dump(cluster, "a", "b"), _dump(cluster, "b", "a")
    # The status packet's own fields: pyhb rebuilds a status change from its events.
    assert set(real) - set(ours) == {f"HA_{f}" for f in STATUS_PACKET_FIELDS}
    # pyhb's stand-ins, and the resource scripts' HA_RSCTMP.
    assert set(ours) - set(real) == {"HA_NOARCHBIN", "HA_RSCTMP"}
    assert (real["HA_CURHOST"], real["HA_src"]) == ("a", "b")
    assert (ours["HA_CURHOST"], ours["HA_src"]) == ("b", "a")
    # This node's status when the script ran: up or active, as the two starts raced.
    assert {real["HA_OSTATUS"], ours["HA_OSTATUS"]} <= {"up", "active"}
    for key in sorted(set(real) & set(ours) - {"HA_CURHOST", "HA_src", "HA_OSTATUS"}):
        # 3.0.6's HA_DIR is /etc/ha.d/, so its paths have a double slash.
        assert real[key].replace("//", "/").rstrip("/") == ours[key].rstrip("/"), key
    assert real["argv"] == "/etc/ha.d//rc.d/status status"
    assert real["HA_st"] == ours["HA_st"] == "active"


TYPES = ("ask_resources", "resource", "starting", "shutdone", "hb_takeover", "ifstat",
         "status", "hbapi-clstat")  # fmt: skip


def _seen(cluster: Cluster, node: str) -> list[str]:
    path = cluster.lab[node].var_lib_dir / "seen"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.timeout(120)
def test_pyhb_offers_rc_d_the_message_types_3_0_6_offers(make_cluster: ClusterFactory) -> None:
    """A marker script for each of several types on a 3.0.6 node and a pyhb node: through
    start, an hb_takeover sent from the pyhb node and its graceful stop, both run the
    markers of the same types (ifstat, status, hb_takeover), never those of the types
    the daemon handles itself."""
    cluster = make_cluster(real={"a"}, auto_failback="on")
    for node in cluster.lab.nodes.values():
        for mtype in TYPES:
            script = node.etc_dir / "rc.d" / mtype
            script.write_text(
                f'#!/bin/sh\necho "{mtype} $HA_st$HA_rsc_hold" >> /var/lib/heartbeat/seen\n'
            )
            script.chmod(0o755)
    cluster.start("a")
    cluster.start("b")
    for node in ("a", "b"):
        wait_for(lambda n=node: "status active" in _seen(cluster, n), 30)
    assert cluster.tool("b", "hb_takeover", "all").returncode == 0
    for node in ("a", "b"):
        wait_for(lambda n=node: "hb_takeover all" in _seen(cluster, n), 10)
    cluster.stop("b")
    wait_for(lambda: "status dead" in _seen(cluster, "a"), 10)
    real, ours = _seen(cluster, "a"), _seen(cluster, "b")
    assert {line.split()[0] for line in real} == {"ifstat", "status", "hb_takeover"}
    assert {line.split()[0] for line in ours} == {"ifstat", "status", "hb_takeover"}
    # Both nodes' links (its own and the peer's) came up, once each.
    assert real.count("ifstat up") == ours.count("ifstat up") == 2
    assert [x for x in real if x.startswith("status")][:2] == ["status up", "status active"]
    assert [x for x in ours if x.startswith("status")] == ["status up", "status active"]
