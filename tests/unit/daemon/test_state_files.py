"""State and pid files: durable writes, and which processes count as a running daemon."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyhb.daemon import pidfile, state


def test_uuid_and_generation_are_written_by_rename_and_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither file is ever written in place: a temporary file is renamed over it, and
    the directory is synced after the rename."""
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    uuid = state.node_uuid(tmp_path)
    assert (tmp_path / "hb_uuid").read_bytes() == uuid
    assert synced[-1] == str(tmp_path)  # the directory, after the file
    assert any(p.endswith(".hb_uuid.tmp") for p in synced)
    synced.clear()
    generation = state.next_generation(tmp_path)
    assert (tmp_path / "hb_generation").read_text() == f"{generation:15d}\n"
    assert synced[-1] == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hb_generation", "hb_uuid"]
    assert state.node_uuid(tmp_path) == uuid


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([b"/usr/libexec/heartbeat/heartbeat", b"-f"], True),
        ([b"heartbeat: master control process"], True),
        ([b"/usr/bin/python3", b"/opt/pyhb/bin/heartbeat", b"-f"], True),
        ([b"/usr/bin/python3", b"-P", b"-m", b"pyhb", b"-f"], True),
        ([b"python3.11", b"-X", b"dev", b"-m", b"pyhb.cli.heartbeat"], True),
        ([b"/usr/local/bin/pyhb", b"status"], True),
        ([b"vim", b"/etc/ha.d/heartbeat.notes"], False),
        ([b"tail", b"-f", b"/var/log/heartbeat.log"], False),
        ([b"python3", b"-c", b"import time", b"heartbeat"], False),
        ([b"python3", b"/home/me/heartbeat-report.py"], False),
        ([b"/usr/sbin/apache2", b"-k", b"start"], False),
        ([], False),
    ],
)
def test_which_command_lines_are_a_heartbeat_daemon(argv: list[bytes], expected: bool) -> None:
    assert pidfile.is_heartbeat_command(argv) is expected


def test_a_process_that_only_mentions_heartbeat_is_not_a_running_daemon(tmp_path: Path) -> None:
    """A stale pid file whose pid was reused by, say, a text editor on a heartbeat file
    does not keep the daemon from starting."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "/etc/ha.d/heartbeat.notes"]
    )
    try:
        path = tmp_path / "heartbeat.pid"
        pidfile.write_pidfile(path, proc.pid)
        assert pidfile.read_pid(path) == proc.pid
        assert pidfile.running_pid(path) is None
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("text", ["99999999999999999999999", "0", "-5", "4194305", "12x"])
def test_a_pid_file_without_a_pid_in_it_names_no_running_daemon(tmp_path: Path, text: str) -> None:
    """A number no process can have (a huge one used to raise OverflowError) is no pid."""
    path = tmp_path / "heartbeat.pid"
    path.write_text(f"{text}\n")
    assert pidfile.read_pid(path) is None
    assert pidfile.running_pid(path) is None
