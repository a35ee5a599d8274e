"""systemd's watchdog: ``WATCHDOG=1`` from the event loop every half ``WATCHDOG_USEC``,
only for our own pid, never without a notify socket."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhb.daemon.notify import Notifier, keep_watchdog


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.setblocking(False)
    yield str(tmp_path / "notify"), sock
    sock.close()


def _received(sock: socket.socket) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096))
        except BlockingIOError:
            return out


def test_the_period_comes_from_the_environment_which_loses_it() -> None:
    env = {"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}
    notifier = Notifier.from_environ(env)
    assert notifier.watchdog_interval == 10.0
    assert env == {}  # resource scripts must not ping on our behalf


@pytest.mark.parametrize(
    "env",
    [
        {"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"},
        {"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "0"},
        {"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "soon"},
        {"NOTIFY_SOCKET": "/run/n"},
        {"WATCHDOG_USEC": "20000000"},
    ],
)
def test_no_watchdog_for_another_pid_a_bad_period_or_no_socket(env: dict[str, str]) -> None:
    notifier = Notifier.from_environ(dict(env))
    assert notifier.watchdog_interval is None


@pytest.mark.asyncio
async def test_pings_go_out_every_half_period_while_the_loop_runs(
    listener: tuple[str, socket.socket],
) -> None:
    address, sock = listener
    env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "100000"}  # 0.1 s: a ping every 50 ms
    task = asyncio.create_task(keep_watchdog(Notifier.from_environ(env)))
    await asyncio.sleep(0.32)
    pings = _received(sock)
    assert set(pings) == {b"WATCHDOG=1"}
    assert 2 <= len(pings) <= 8  # about 6; fewer when the machine is busy
    # A loop that hangs sends nothing: the pings come from the loop itself.
    time.sleep(0.3)  # noqa: ASYNC251 - the hang under test
    assert _received(sock) == []
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.sleep(0.12)
    assert len(_received(sock)) <= 1  # the one due when the loop came back, then none


@pytest.mark.asyncio
async def test_without_watchdog_nothing_is_sent(listener: tuple[str, socket.socket]) -> None:
    address, sock = listener
    await asyncio.wait_for(keep_watchdog(Notifier(address)), 1)  # returns at once
    assert _received(sock) == []
