"""Config abuse against the real daemon and tools in a namespace: the checks that guard
/etc/ha.d and the control socket, end to end (each also has unit tests at its layer)."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.netns import Lab
from tests.helpers.installed import readable_copy

from .harness import Measurement, record, tsvc_actions

pytestmark = pytest.mark.netns

ARGREC = """#!/bin/sh
# Records how many arguments it got and each one on its own line.
{ echo "argc=$#"; for a in "$@"; do echo "arg=$a"; done; } >> /var/lib/heartbeat/argrec.log
case "$2" in status) echo stopped;; esac
exit 0
"""


def _daemon(cluster: Cluster, node: str) -> list[str]:
    return [sys.executable, "-m", "pyhb", "-f"]


def test_config_abuse_is_refused_end_to_end(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"))
    cluster = Cluster(lab)
    cluster.configure()
    try:
        _abuse(cluster)
    finally:
        for proc in cluster.procs.values():
            proc.kill()
            proc.wait(timeout=10)
        print(f"---- a: ha-log\n{cluster.ha_log('a')[-5000:]}")
        for log in sorted(lab["a"].log_dir.glob("*.log")):
            print(f"---- {log.name}\n{log.read_text()[-3000:]}")


def _abuse(cluster: Cluster) -> None:
    lab = cluster.lab
    a = lab["a"]
    checks: list[str] = []

    # 1. authkeys readable by group/others: the daemon refuses to start, saying why.
    keys = a.etc_dir / "authkeys"
    for mode in (0o640, 0o604):
        keys.chmod(mode)
        res = a.run(_daemon(cluster, "a"), timeout=30)
        assert res.returncode != 0
        assert "must not be readable by group or others" in res.stdout + res.stderr, res
        assert "chmod 600" in res.stdout + res.stderr
    keys.chmod(0o600)
    checks.append("authkeys 0640/0604: daemon refuses to start, names the fix")

    # 2. A resource name with '/' or '..': refused before anything runs.
    good = (a.etc_dir / "haresources").read_text()
    for name in ("../../bin/sh::-c::id", "/bin/sh::-c::id", "sub/dir"):
        (a.etc_dir / "haresources").write_text(f"a {name}\n")
        res = a.run(_daemon(cluster, "a"), timeout=30)
        assert res.returncode != 0, name
        assert "must not contain '/' or '..'" in res.stdout + res.stderr, res
    checks.append("resource names with / or ..: refused at start")

    # 3. Shell syntax in a haresources argument stays one argument; nothing is created.
    # (haresources splits on white space, so ${IFS} stands in for the space a shell
    # would need: it too would only act if the text ever reached a shell.)
    pwned = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    cmd = f"touch${{IFS}}{pwned}"
    script = a.etc_dir / "resource.d" / "argrec"
    script.write_text(ARGREC)
    script.chmod(0o755)
    (a.etc_dir / "haresources").write_text(good.strip() + f" argrec::x;{cmd}::$({cmd})\n")
    cluster.start("a")
    argrec = a.var_lib_dir / "argrec.log"
    wait_for(lambda: argrec.exists() and "arg=start" in argrec.read_text(), 20)
    wait_for(lambda: cluster.has_vip("a"), 10)
    lines = argrec.read_text().splitlines()
    start = lines.index("arg=start")
    assert lines[start - 3 : start + 1] == [
        "argc=3",
        f"arg=x;{cmd}",
        f"arg=$({cmd})",
        "arg=start",
    ], lines
    assert not pwned.exists()
    checks.append(
        "arguments 'x;touch${IFS}FILE' and '$(touch${IFS}FILE)' reach the script "
        "as one argument each, nothing created"
    )

    # 4. The control socket: state changes from non-root are refused with a clear message.
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is needed to act as a non-root user")
    nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--"]
    readable = readable_copy()
    env = {**os.environ, "PYTHONPATH": str(readable)}
    try:
        for tool in (["hb_standby"], ["hb_takeover", "all"]):
            res = a.run([*nobody, sys.executable, "-m", f"pyhb.cli.{tool[0]}", *tool[1:]], env=env)
            assert res.returncode != 0, res
            assert "permission denied: only root may change cluster state" in res.stderr, res
    finally:
        shutil.rmtree(readable)
    assert cluster.has_vip("a")
    assert tsvc_actions(cluster, "a") == ["one start", "two start"]
    checks.append("hb_standby/hb_takeover as uid 65534: refused with a clear message")

    record(
        Measurement(
            "config abuse (authkeys mode, resource names, shell syntax, non-root control)",
            "refused with a clear message; haresources text never reaches a shell",
            notes="; ".join(checks),
            settings=f"VIP {VIP}",
            command="python -m bench.soak --only config_abuse",
        )
    )
