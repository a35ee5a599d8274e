"""The ``heartbeat`` command's start-up paths, without a network namespace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.imports import loaded_by


def _confdir(tmp_path: Path, media: str) -> Path:
    conf = tmp_path / "ha.d"
    conf.mkdir()
    (conf / "ha.cf").write_text(
        f"keepalive 1\ndeadtime 5\n{media}\nauto_failback on\nnode {os.uname().nodename} peer\n"
        "logfacility none\n"
    )
    keys = conf / "authkeys"
    keys.write_text("auth 1\n1 sha1 secret\n")
    keys.chmod(0o600)
    (conf / "haresources").write_text("peer 10.77.9.9\n")
    return conf


def _heartbeat(tmp_path: Path, conf: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyhb.cli.heartbeat", *flags, "--confdir", str(conf),
         "--statedir", str(tmp_path / "state"), "--rundir", str(tmp_path / "run"),
         "--pidfile", str(tmp_path / "heartbeat.pid")],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_detached_start_that_fails_says_why_on_stderr(tmp_path: Path) -> None:
    """Without -f the daemon detaches; a failure before it is ready still reaches the shell
    (the init script prints it), instead of a bare exit code."""
    conf = _confdir(tmp_path, "ucast lo 127.0.0.1")
    (tmp_path / "run").write_text("")  # the run directory is a file
    res = _heartbeat(tmp_path, conf)
    assert res.returncode == 1
    assert "ERROR: heartbeat not started: [Errno 20] Not a directory:" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "heartbeat.pid").exists()


def test_a_missing_media_interface_is_a_configuration_error_before_detaching(
    tmp_path: Path,
) -> None:
    """As in 3.0.6 (``Illegal bcast ... in config file``): exit 6, the ha.cf line named."""
    conf = _confdir(tmp_path, "bcast pyhbnoif9")
    res = _heartbeat(tmp_path, conf)
    assert res.returncode == 6
    assert f"{conf}/ha.cf:3: error: bcast pyhbnoif9: interface [pyhbnoif9] does not exist" in (
        res.stderr
    )
    assert "Configuration error, heartbeat not started." in res.stderr
    assert not (tmp_path / "heartbeat.pid").exists()


def test_bad_configuration_is_refused_with_every_problem(tmp_path: Path) -> None:
    conf = _confdir(tmp_path, "bcast lo\nkeepalive 2x\nfrobnicate 1")
    res = _heartbeat(tmp_path, conf)
    assert res.returncode == 6
    assert "ha.cf:4: error: keepalive: invalid time value '2x'" in res.stderr
    assert "ha.cf:5: error: unknown directive 'frobnicate'" in res.stderr
    assert "Configuration error, heartbeat not started." in res.stderr


@pytest.mark.parametrize("flag", ["-k", "-s", "-V"])
def test_quick_flags_do_not_load_the_daemon_or_config_stack(tmp_path: Path, flag: str) -> None:
    """-k/-s/-V act at once: neither the daemon, the config parser nor asyncio is imported."""
    code = (
        "from pyhb.cli.heartbeat import main;"
        f"main([{flag!r}, '--pidfile', {str(tmp_path / 'hb.pid')!r}])"
    )
    heavy = ("pyhb.daemon.app", "pyhb.config", "pyhb.core", "asyncio")
    assert loaded_by(code, heavy) == []
