"""Listing rc.d at start: Heartbeat's own scripts are left out, a site's own run, an
ip-request of the site's own is refused."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from pyhb.daemon.preflight import event_script_issues
from pyhb.daemon.rcscripts import STOCK_SHA256, scan

STOCK_DIR = Path("/etc/ha.d/rc.d")
STOCK_NAMES = sorted(set(STOCK_SHA256.values()))


def _script(path: Path, text: str, mode: int = 0o755) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _rc_d(tmp_path: Path, scripts: dict[str, str]) -> Path:
    """A site's rc.d holding these executable scripts (name -> text)."""
    rcdir = tmp_path / "rc.d"
    rcdir.mkdir()
    for name, text in scripts.items():
        _script(rcdir / name, text)
    return rcdir


@pytest.fixture
def stock_copy(tmp_path: Path) -> Path:
    """A copy of the heartbeat package's rc.d (only where it is installed)."""
    if not all((STOCK_DIR / name).is_file() for name in STOCK_NAMES):
        pytest.skip("the heartbeat package's rc.d scripts are not installed here")
    rcdir = tmp_path / "rc.d"
    shutil.copytree(STOCK_DIR, rcdir)
    return rcdir


def test_heartbeats_own_scripts_are_recognised_and_not_run(
    stock_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pyhb")
    scripts = scan(stock_copy)
    assert sorted(scripts.stock) == STOCK_NAMES
    assert not scripts.runnable
    assert not scripts.refused
    assert "rc.d/ip-request is Heartbeat's own: pyhb does its work itself" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_edited_stock_status_is_the_sites_own_and_runs(stock_copy: Path) -> None:
    status = stock_copy / "status"
    status.write_text(status.read_text() + 'echo "$HA_src is $HA_st" | mail admin\n')
    scripts = scan(stock_copy)
    assert scripts.runnable == {"status"}
    assert "status" not in scripts.stock


def test_an_ip_request_of_the_sites_own_is_refused_with_an_error_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rcdir = _rc_d(
        tmp_path,
        {
            "ip-request": "#!/bin/sh\nha_clustermsg <<EOF\nt=ip-request-resp\nEOF\n",
            "ip-request-resp": "#!/bin/sh\nexit 0\n",
        },
    )
    scripts = scan(rcdir)
    assert scripts.refused == {"ip-request", "ip-request-resp"}
    assert not scripts.runnable
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert str(rcdir / "ip-request") in errors[0]
    assert "pyhb answers ip-request itself" in errors[0]


def test_dot_files_directories_and_unexecutable_files_are_not_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rcdir = _rc_d(tmp_path, {".status.swp": "#!/bin/sh\n", "mymessage": "#!/bin/sh\n"})
    _script(rcdir / "notes", "#!/bin/sh\n", mode=0o644)
    (rcdir / "subdir").mkdir()
    scripts = scan(rcdir)
    assert scripts.runnable == {"mymessage"}
    assert f"{rcdir / 'notes'} is not executable: not run" in caplog.text


def test_no_rc_d_directory_runs_nothing(tmp_path: Path) -> None:
    scripts = scan(tmp_path / "rc.d")
    assert not scripts.runnable
    assert not scripts.stock
    assert not scripts.refused


def test_pyhb_check_warns_of_the_rc_d_scripts_the_daemon_will_not_run(
    stock_copy: Path,
) -> None:
    """``pyhb check`` says what the daemon would only log at start: an edited
    ip-request is not run; Heartbeat's own scripts raise nothing."""
    assert event_script_issues(stock_copy) == []
    edited = stock_copy / "ip-request"
    edited.write_text(edited.read_text() + "logger asked\n")
    (issue,) = event_script_issues(stock_copy)
    assert str(issue).startswith(f"{edited}: warning: not run: it is not Heartbeat's own")
