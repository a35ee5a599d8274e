"""The Debian package replaces Heartbeat on a node and runs a cluster from Debian's paths.

Each lab node gets an overlay of the host's /usr, /etc and /var (``pyhb.lab.overlay``), so
``apt-get install ./pyhb_*.deb`` removes that node's heartbeat package and installs pyhb
there only. The cluster is then driven only through the package's files: the init script,
``service``, /usr/bin/cl_status, /usr/share/heartbeat/hb_standby, and the daemon must be
Debian's /usr/bin/python3 running the installed package.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.overlay import overlay_root
from tests.helpers.netns import Lab, Node, cleanup_stale, netns_available
from tests.package.conftest import SYSTEM_ENV

pytestmark = [pytest.mark.netns, pytest.mark.timeout(900)]

NODE_ENV = {**SYSTEM_ENV, "DEBIAN_FRONTEND": "noninteractive"}
DAEMON = "/usr/libexec/heartbeat/heartbeat"
# Files no package owns (the administrator's) and one heartbeat conffile left behind.
KEPT_ETC = ("ha.cf", "authkeys", "haresources", "resource.d/tsvc", "resource.d/IPaddr")
UUID = bytes(range(16))


@pytest.fixture
def package_lab() -> Iterator[Lab]:
    reason = netns_available()
    if reason is not None:
        pytest.skip(reason)
    if not Path("/usr/libexec/heartbeat/heartbeat").is_file():
        pytest.skip("Debian's heartbeat package is not installed here (scripts/bootstrap)")
    cleanup_stale()
    lab = Lab(("a", "b"), client=False)
    try:
        lab.start()
        for node in lab.nodes.values():
            overlay_root(node)
        yield lab
    finally:
        lab.close()


def run(node: Node, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return node.run(list(argv), env=NODE_ENV, timeout=timeout)


def ok(node: Node, *argv: str, timeout: float = 60) -> str:
    out = run(node, *argv, timeout=timeout)
    assert out.returncode == 0, f"{node.name}: {argv} -> {out.returncode}\n{out.stdout}{out.stderr}"
    return out.stdout


def status(node: Node, package: str) -> str:
    return run(node, "dpkg-query", "-W", "-f=${Status}", package).stdout


def daemon_pid(node: Node) -> int | None:
    try:
        pid = int((node.run_dir / "heartbeat.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def kept_files(node: Node) -> dict[str, bytes]:
    files = {f"/etc/ha.d/{name}": (node.etc_dir / name).read_bytes() for name in KEPT_ETC}
    files["/var/lib/heartbeat/hb_uuid"] = (node.var_lib_dir / "hb_uuid").read_bytes()
    return files


def test_package_replaces_heartbeat_and_runs_the_cluster(
    deb_package: Path, package_lab: Lab
) -> None:
    lab = package_lab
    a, b = lab["a"], lab["b"]
    cluster = Cluster(
        lab, deadtime="2", warntime="1", initdead="6", resources=f"{VIP}/24/hb0 tsvc::one"
    )
    cluster.configure()
    for node in (a, b):
        (node.var_lib_dir / "hb_uuid").write_bytes(UUID)
        (node.var_lib_dir / "hb_generation").write_text(f"{5:15d}\n")
    # Heartbeat's own wrapper, a conffile of the heartbeat package, is in the seeded copy.
    assert b"wrapper of OCF RA IPaddr," in (a.etc_dir / "resource.d/IPaddr").read_bytes()
    before = {n.name: kept_files(n) for n in (a, b)}

    # --- heartbeat -> pyhb, in each node's own root ----------------------------------
    for node in (a, b):
        assert status(node, "heartbeat") == "install ok installed"
        # As on a real node being migrated: nothing starts behind the test's back.
        ok(node, "sh", "-c", "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && "
           "chmod 755 /usr/sbin/policy-rc.d")  # fmt: skip
        ok(node, "apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb_package),
           timeout=600)  # fmt: skip
        assert status(node, "pyhb") == "install ok installed"
        assert status(node, "heartbeat") == "deinstall ok config-files"
        assert ok(node, "dpkg-query", "-S", DAEMON).startswith("pyhb: ")
        assert ok(node, "readlink", "-f", "/usr/lib/heartbeat/heartbeat").strip() == DAEMON
        assert kept_files(node) == before[node.name]
        assert stat.S_IMODE((node.etc_dir / "authkeys").stat().st_mode) == 0o600
    # Only the nodes changed: the host still has Debian's heartbeat and no pyhb.
    host = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "heartbeat"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert host.stdout == "install ok installed"
    assert not Path("/usr/share/pyhb/resource.d").exists()

    # --- start through the init script and through service(8) --------------------------
    ok(a, "/etc/init.d/heartbeat", "start")
    ok(b, "service", "heartbeat", "start")
    for node in (a, b):
        pid = daemon_pid(node)
        assert pid is not None, f"{node.name}: no daemon after start"
        assert os.readlink(f"/proc/{pid}/exe").startswith("/usr/bin/python3")
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert argv[:2] == [b"/usr/bin/python3", DAEMON.encode()], argv
        assert b"PYTHONPATH=" not in Path(f"/proc/{pid}/environ").read_bytes()
        assert "is running" in ok(node, "/usr/bin/cl_status", "hbstatus")
    wait_for(lambda: cluster.has_vip("a") and not cluster.has_vip("b"), timeout=30)
    wait_for(lambda: ok(b, "/usr/bin/cl_status", "nodestatus", "a").strip() == "active", 15)
    assert ok(a, "/usr/bin/cl_status", "rscstatus").strip() == "local"
    assert "running" in ok(a, "/etc/init.d/heartbeat", "status")

    # --- failover: kill -9 the active daemon ---------------------------------------------
    pid_a = daemon_pid(a)
    assert pid_a is not None
    os.kill(pid_a, signal.SIGKILL)
    wait_for(lambda: cluster.has_vip("b"), timeout=20)
    # cl_status exits 1 for a dead node, as 3.0.6's does.
    wait_for(lambda: run(b, "/usr/bin/cl_status", "nodestatus", "a").stdout == "dead\n", 10)
    cluster.reboot("a")  # what a reboot would do to the killed node's address

    # --- a comes back (auto_failback on), then gives everything away with hb_standby ----
    ok(a, "/etc/init.d/heartbeat", "start")
    wait_for(lambda: cluster.has_vip("a") and not cluster.has_vip("b"), timeout=30)
    ok(a, "/usr/share/heartbeat/hb_standby")
    wait_for(lambda: cluster.has_vip("b") and not cluster.has_vip("a"), timeout=30)
    wait_for(lambda: ok(b, "/usr/bin/cl_status", "rscstatus").strip() == "all", 10)

    # --- stop both through the init script -----------------------------------------------
    for node in (b, a):
        ok(node, "/etc/init.d/heartbeat", "stop", timeout=120)
        assert daemon_pid(node) is None
    assert not cluster.has_vip("a")
    assert not cluster.has_vip("b")
    generation = {n.name: (n.var_lib_dir / "hb_generation").read_text() for n in (a, b)}
    assert all(int(g) > 5 for g in generation.values()), generation

    # --- purge: nothing of the administrator's goes --------------------------------------
    for node in (a, b):
        ok(node, "dpkg", "--purge", "pyhb", timeout=120)
        assert status(node, "pyhb") == ""
        assert run(node, "test", "-e", DAEMON).returncode != 0
        assert kept_files(node) == before[node.name]
        assert (node.var_lib_dir / "hb_generation").read_text() == generation[node.name]
        assert ok(node, "id", "-un", "hacluster").strip() == "hacluster"


def test_overlay_root_changes_only_the_node(package_lab: Lab) -> None:
    """A file written under /usr in a node is that node's alone and never the host's."""
    a, b = package_lab["a"], package_lab["b"]
    marker = f"/usr/share/pyhb-overlay-{os.getpid()}-{time.monotonic_ns()}"
    ok(a, "sh", "-c", f"echo a > {marker}")
    assert ok(a, "cat", marker) == "a\n"
    assert run(b, "test", "-e", marker).returncode != 0
    assert not Path(marker).exists()
