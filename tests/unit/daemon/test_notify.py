"""The sd_notify client: path and abstract sockets, nothing without NOTIFY_SOCKET."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhb.daemon.notify import Notifier


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(2)
    yield str(tmp_path / "notify"), sock
    sock.close()


def test_ready_reloading_stopping_are_one_datagram_each(
    listener: tuple[str, socket.socket],
) -> None:
    address, sock = listener
    notifier = Notifier(address)
    assert notifier.ready("Running as node a (bcast hb0)")
    assert sock.recv(4096) == b"READY=1\nSTATUS=Running as node a (bcast hb0)"
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert notifier.reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    fields = dict(line.split("=", 1) for line in sock.recv(4096).decode().split("\n"))
    assert fields["RELOADING"] == "1"
    assert fields["STATUS"] == "Reloading"
    # CLOCK_MONOTONIC in microseconds, as systemd compares it with its own
    assert before <= int(fields["MONOTONIC_USEC"]) <= after
    assert notifier.stopping()
    assert sock.recv(4096).startswith(b"STOPPING=1\nSTATUS=")


def test_an_abstract_socket_name_starts_with_at() -> None:
    name = f"pyhb-test-notify-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert Notifier("@" + name).send("READY=1")
        assert sock.recv(4096) == b"READY=1"


def test_the_socket_is_taken_out_of_the_environment_for_the_scripts() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "PATH": "/bin"}
    assert Notifier.from_environ(env).address == "/run/systemd/notify"
    assert env == {"PATH": "/bin"}


def test_nothing_is_sent_without_a_socket_and_a_failed_send_is_quiet(tmp_path: Path) -> None:
    assert Notifier.from_environ({}).address is None
    assert not Notifier(None).ready("x")
    assert not Notifier(str(tmp_path / "absent")).ready("x")
    assert not Notifier("vsock:2:1234").ready("x")
