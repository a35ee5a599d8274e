"""Log destinations: missing directories, unusable files, and syslog when ha.cf names none."""

from __future__ import annotations

import logging
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhb.config.model import HaConfig
from pyhb.daemon import logsetup

pytestmark = pytest.mark.usefixtures("restored_logging")


@pytest.fixture
def syslog(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """A stand-in syslog: a unix datagram socket the handler is pointed at."""
    path = str(tmp_path / "log")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield path, sock
    sock.close()


def _received(sock: socket.socket) -> list[bytes]:
    out = [sock.recv(4096)]
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096))
    except BlockingIOError:
        return out


def test_a_missing_log_directory_is_created_0755_and_logged_to(tmp_path: Path) -> None:
    debug = tmp_path / "var" / "log" / "cluster" / "debug.log"
    ha = HaConfig(node=("a",), debugfile=str(debug), logfacility="none")
    problems = logsetup.configure(ha, stderr=False)
    logging.getLogger("pyhb").warning("node beta: is dead")
    logsetup.flush()
    assert problems == []
    for directory in (debug.parent, debug.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o755
    assert "WARN: node beta: is dead" in debug.read_text()


def test_an_unusable_log_file_is_reported_and_skipped_the_others_still_log(
    tmp_path: Path, syslog: tuple[str, socket.socket]
) -> None:
    (tmp_path / "plain").write_text("")
    bad = tmp_path / "plain" / "ha.log"  # its "directory" is a regular file
    good = tmp_path / "debug.log"
    ha = HaConfig(node=("a",), logfile=str(bad), debugfile=str(good), logfacility="local0")
    problems = logsetup.configure(ha, stderr=False, syslog_address=syslog[0])
    logging.getLogger("pyhb").info("still here")
    logsetup.flush()
    assert len(problems) == 1
    assert problems[0].startswith(f"cannot open logfile {bad}: ")
    assert "not logging there" in problems[0]
    text = good.read_text()
    assert f"ERROR: cannot open logfile {bad}" in text
    assert "info: still here" in text
    datagrams = b"".join(_received(syslog[1]))
    assert b"cannot open logfile" in datagrams
    assert b"still here" in datagrams


def test_check_destinations_creates_directories_and_names_the_failures(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    ha = HaConfig(
        node=("a",),
        logfile=str(tmp_path / "new" / "ha.log"),
        debugfile=str(tmp_path / "plain" / "x" / "debug.log"),
    )
    problems = logsetup.check_destinations(ha)
    assert (tmp_path / "new").is_dir()
    assert len(problems) == 1
    assert problems[0].startswith("cannot open debugfile ")


@pytest.mark.parametrize("facility", [None, "none", "kern"])
def test_no_log_destination_means_syslog_facility_daemon(
    syslog: tuple[str, socket.socket], facility: str | None
) -> None:
    """3.0.6 hands such messages to ha_logd, whose default is syslog facility daemon."""
    ha = HaConfig(node=("a",), logfacility=facility)
    assert logsetup.configure(ha, stderr=False, syslog_address=syslog[0]) == []
    logging.getLogger("pyhb").warning("node beta: is dead")
    # daemon (3) * 8 + warning (4)
    assert _received(syslog[1]) == [
        f"<28>heartbeat: [{os.getpid()}]: WARN: node beta: is dead\0".encode()
    ]


def test_a_log_file_alone_sends_nothing_to_syslog(
    tmp_path: Path, syslog: tuple[str, socket.socket]
) -> None:
    ha = HaConfig(node=("a",), logfile=str(tmp_path / "ha.log"))
    assert logsetup.syslog_facility(ha) is None
    logsetup.configure(ha, stderr=False, syslog_address=syslog[0])
    logging.getLogger("pyhb").warning("x")
    with pytest.raises(TimeoutError):
        syslog[1].recv(4096)


def test_no_syslog_socket_is_reported_and_logging_goes_on_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ha = HaConfig(node=("a",), logfacility="daemon")
    problems = logsetup.configure(ha, stderr=False, syslog_address=str(tmp_path / "none"))
    logging.getLogger("pyhb").error("lost")
    assert problems == [
        f"no syslog at {tmp_path / 'none'}: messages to syslog are lost until it runs"
    ]
    assert "Traceback" not in capsys.readouterr().err
