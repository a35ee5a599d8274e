"""etc/init.d/heartbeat driven with a fake ``heartbeat`` command on PATH."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "etc" / "init.d" / "heartbeat"

FAKE = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$1" in
  -s) echo "heartbeat status"; exit ${FAKE_STATUS_RC:-0};;
  -k) exit ${FAKE_STOP_RC:-0};;
  -r) exit 0;;
  "") [ -n "$FAKE_START_ERR" ] && echo "$FAKE_START_ERR" >&2; exit ${FAKE_START_RC:-0};;
esac
exit 2
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """PATH with the fake daemon first, HA_DIR with an ha.cf, lock and run dirs in tmp."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "heartbeat"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    ha_dir = tmp_path / "ha.d"
    ha_dir.mkdir()
    (ha_dir / "ha.cf").write_text("node a\n")
    return {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "HA_DIR": str(ha_dir),
        "LOCKDIR": str(tmp_path / "lock"),
        "PYHB_RUN_DIR": str(tmp_path / "run"),
        "FAKE_LOG": str(tmp_path / "calls"),
    }


def sh(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(SCRIPT), *args],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


@pytest.mark.parametrize("rc", ["0", "1", "3"])
def test_status_passes_heartbeat_s_through(env: dict[str, str], rc: str) -> None:
    """``status`` runs ``heartbeat -s`` and exits with its code (0 running, 3 stopped, 1 stale)."""
    proc = sh(env, "status", FAKE_STATUS_RC=rc)
    assert proc.returncode == int(rc)
    assert proc.stdout == "heartbeat status\n"


def test_unknown_action_prints_usage_and_exits_1(env: dict[str, str]) -> None:
    """An unknown action prints 3.0.6's usage line and exits 1."""
    proc = sh(env, "bogus")
    assert proc.returncode == 1
    assert proc.stdout == f"Usage: {SCRIPT} {{start|stop|status|restart|reload|force-reload}}\n"


def test_missing_ha_cf_says_not_configured_and_exits_0(env: dict[str, str]) -> None:
    """Without ha.cf the script prints 3.0.6's failure sentence yet exits 0."""
    Path(env["HA_DIR"], "ha.cf").unlink()
    proc = sh(env, "start")
    assert proc.returncode == 0
    assert proc.stdout == (
        f"Heartbeat not configured: {env['HA_DIR']}/ha.cf not found."
        " Heartbeat failure [rc=1]. Failed.\n"
    )
    assert not Path(env["FAKE_LOG"]).exists()


def test_start_success_and_failure_forms(env: dict[str, str]) -> None:
    """start prints ``Done.`` and touches the lock; a failing daemon shows rc and its error."""
    ok = sh(env, "start")
    assert (ok.returncode, ok.stdout) == (0, "Starting High-Availability services: Done.\n\n")
    assert Path(env["LOCKDIR"], "heartbeat").exists()
    bad = sh(env, "start", FAKE_START_RC="6", FAKE_START_ERR="ha.cf:3: bad directive")
    assert bad.returncode == 6
    assert bad.stdout == (
        "Starting High-Availability services:  Heartbeat failure [rc=6]. Failed.\n"
        "\nha.cf:3: bad directive\n\n"
    )


def test_restart_is_stop_then_start_without_sleeping(env: dict[str, str]) -> None:
    """restart calls ``-k`` then starts at once (no deadtime+10 s wait)."""
    start = time.monotonic()
    proc = sh(env, "restart")
    assert time.monotonic() - start < 3
    assert proc.returncode == 0
    assert Path(env["FAKE_LOG"]).read_text() == "-k\n\n"


def test_reload_runs_heartbeat_r(env: dict[str, str]) -> None:
    """reload and force-reload run ``heartbeat -r`` and print Done."""
    for action in ("reload", "force-reload"):
        proc = sh(env, action)
        assert (proc.returncode, proc.stdout) == (
            0,
            "Reloading High-Availability services: Done.\n\n",
        )
    assert Path(env["FAKE_LOG"]).read_text() == "-r\n-r\n"


def test_explicit_heartbeat_variable_wins(env: dict[str, str], tmp_path: Path) -> None:
    """HEARTBEAT set in the environment (or /etc/default/heartbeat) overrides PATH lookup."""
    other = tmp_path / "other-heartbeat"
    other.write_text("#!/bin/sh\necho other; exit 3\n")
    other.chmod(0o755)
    proc = sh(env, "status", HEARTBEAT=str(other))
    assert (proc.returncode, proc.stdout) == (3, "other\n")
    assert os.access(SCRIPT, os.X_OK)
