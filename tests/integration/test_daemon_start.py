"""Starting a node the way a server does: log files in directories that do not exist yet,
and systemd's ``Type=notify`` protocol (READY, RELOADING, STOPPING) on a fake
``NOTIFY_SOCKET``."""

from __future__ import annotations

import os
import socket
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhb.lab.cluster import Cluster, wait_for
from pyhb.lab.netns import Lab

pytestmark = pytest.mark.netns

LOGS = (
    "logfile /var/lib/heartbeat/cluster/ha.log\n"
    "debugfile /var/lib/heartbeat/cluster/deep/debug.log\n"
)


def _with_new_log_dirs(cluster: Cluster) -> None:
    for node in cluster.lab.nodes.values():
        path = node.etc_dir / "ha.cf"
        text = path.read_text()
        text = text.replace("logfile /var/lib/heartbeat/ha-log\n", "")
        text = text.replace("debugfile /var/lib/heartbeat/ha-debug\n", LOGS)
        path.write_text(text)


def _messages(sock: socket.socket, until: str, timeout: float = 20) -> list[dict[str, str]]:
    """The datagrams received up to the first that holds ``until`` (e.g. ``READY=1``)."""
    sock.settimeout(timeout)
    got: list[dict[str, str]] = []
    while True:
        fields = dict(line.split("=", 1) for line in sock.recv(4096).decode().split("\n"))
        got.append(fields)
        key, value = until.split("=", 1)
        if fields.get(key) == value:
            return got


def test_log_directories_are_created_and_systemd_is_told_ready_reloading_stopping(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    cluster = Cluster(make_lab(("a", "b"), client=False))
    cluster.configure()
    _with_new_log_dirs(cluster)
    address = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    try:
        cluster.start("a", env={**os.environ, "NOTIFY_SOCKET": address})
        ready = _messages(sock, "READY=1")
        assert ready == [{"READY": "1", "STATUS": "Running as node a (bcast hb0)"}]
        a = cluster.lab["a"].var_lib_dir / "cluster"
        for directory in (a, a / "deep"):
            assert stat.S_IMODE(directory.stat().st_mode) == 0o755
        wait_for(lambda: "Configuration validated" in (a / "ha.log").read_text(), 5)
        assert "Configuration validated" in (a / "deep" / "debug.log").read_text()

        # the other node, started detached as an init script does (no -f), with a
        # debugfile that cannot be created: said on stderr, skipped, the node runs
        b = cluster.lab["b"]
        (b.var_lib_dir / "plain").write_text("")
        hacf = b.etc_dir / "ha.cf"
        hacf.write_text(
            hacf.read_text().replace("/cluster/deep/debug.log", "/plain/deep/debug.log")
        )
        res = b.run([sys.executable, "-m", "pyhb.cli.heartbeat"], timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "Traceback" not in res.stdout + res.stderr
        assert (
            "heartbeat: WARN: cannot open debugfile /var/lib/heartbeat/plain/deep/debug.log: "
            "Not a directory" in res.stderr
        ), res.stderr
        wait_for(lambda: cluster.has_vip("a"), 20)
        wait_for(lambda: "Status update for node a" in _read(b.var_lib_dir), 10)
        assert "ERROR: cannot open debugfile" in _read(b.var_lib_dir)

        res = cluster.tool("a", "heartbeat", "-r")
        assert res.returncode == 0, res
        reload = _messages(sock, "READY=1")
        assert reload[0]["RELOADING"] == "1"
        assert int(reload[0]["MONOTONIC_USEC"]) > 0
        assert reload[-1]["READY"] == "1"

        cluster.stop("a")
        stopping = _messages(sock, "STOPPING=1", timeout=5)
        assert stopping[-1]["STATUS"].startswith("Shutting down")
        assert b.run([sys.executable, "-m", "pyhb.cli.heartbeat", "-k"]).returncode == 0
    finally:
        sock.close()


def _read(var_lib: Path) -> str:
    path = var_lib / "cluster" / "ha.log"
    return path.read_text() if path.exists() else ""


# In the node's own mount namespace: a private /dev (with the few device nodes a daemon
# uses) where a stand-in syslog listens on /dev/log and appends each datagram to $1.
_SYSLOG_STAND_IN = r"""
set -e
out=$1; shift
mkdir -p /run/pyhb-hostdev
mount --bind /dev /run/pyhb-hostdev
mount -t tmpfs -o mode=755 pyhb-dev /dev
for d in null zero urandom random full tty; do cp -a /run/pyhb-hostdev/$d /dev/$d; done
"$PYHB_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open(sys.argv[1], "ab", buffering=0) as f:
    f.write(b"listening\n")
    while True:
        f.write(s.recv(65536).rstrip(b"\0") + b"\n")
' "$out" &
while ! [ -s "$out" ]; do sleep 0.05; done
exec "$@"
"""


def test_with_no_log_directive_everything_goes_to_syslog_facility_daemon(
    make_lab: Callable[..., Lab],
) -> None:
    """3.0.6 hands the messages to ha_logd (syslog facility daemon by default); pyhb sends
    them to syslog facility daemon itself, so none is lost."""
    cluster = Cluster(make_lab(("a", "b"), client=False))
    cluster.configure()
    node = cluster.lab["a"]
    path = node.etc_dir / "ha.cf"
    kept = [
        line
        for line in path.read_text().splitlines()
        if not line.startswith(("logfile", "debugfile", "logfacility"))
    ]
    path.write_text("\n".join(kept) + "\n")
    out = node.var_lib_dir / "syslog"
    node.spawn(
        ["sh", "-c", _SYSLOG_STAND_IN, "syslog-stand-in", "/var/lib/heartbeat/syslog",
         sys.executable, "-m", "pyhb", "-f"],
        env={**os.environ, "PYHB_PY": sys.executable},
    )  # fmt: skip

    def logged() -> str:
        return out.read_text(errors="replace") if out.exists() else ""

    wait_for(lambda: "Local status now set to" in logged(), 20)
    text = logged()
    # <30> = facility daemon (3) * 8 + info (6); <28> = daemon + warning
    assert "<30>heartbeat: [" in text
    assert "]: info: No log entry found in ha.cf -- logging to syslog facility daemon" in text
    assert "]: info: Configuration validated. Starting heartbeat" in text
    assert "ERROR" not in text
