"""Log writes off the event loop (``daemon.logqueue``): a stalled destination holds up
neither the loop nor the exit, drops are counted and reported, nothing logged before
shutdown is lost, and a rotated log file is reopened."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from pyhb.config.model import HaConfig
from pyhb.daemon import logqueue, logsetup

pytestmark = pytest.mark.usefixtures("restored_logging")


class StalledStderr:
    """stderr is a pipe nobody reads until ``start`` (journald not reading, say)."""

    def __init__(self) -> None:
        rfd, wfd = os.pipe()
        self.writer: IO[str] = open(wfd, "w", buffering=1)  # noqa: SIM115 - closed in finish
        self._rfd = rfd
        self.chunks: list[bytes] = []
        self._go = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        self._go.wait()
        while chunk := os.read(self._rfd, 65536):
            self.chunks.append(chunk)
        os.close(self._rfd)

    def start(self) -> None:
        self._go.set()

    def finish(self) -> list[str]:
        self.start()
        self.writer.close()
        self._thread.join(10)
        return b"".join(self.chunks).decode().splitlines()


@pytest.fixture
def stalled() -> Iterator[StalledStderr]:
    """The test makes it sys.stderr (pytest resets sys.stderr before each test phase)."""
    pipe = StalledStderr()
    yield pipe
    if not pipe.writer.closed:
        pipe.finish()


async def _log_burst_and_measure_lag(lines: int, tick: float = 0.01) -> float:
    """Log ``lines`` lines in bursts from the loop; the loop's worst lateness, seconds."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        while not done:
            before = loop.time()
            await asyncio.sleep(tick)
            worst = max(worst, loop.time() - before - tick)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    log = logging.getLogger("pyhb.test")
    for i in range(lines):
        log.info("line %d of a burst, long enough to fill a pipe soon: %s", i, "x" * 80)
        if i % 100 == 99:
            await asyncio.sleep(0.005)
    await asyncio.sleep(0.2)
    done = True
    await task
    return worst


def test_a_stalled_stderr_does_not_hold_up_the_event_loop(
    stalled: StalledStderr, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr", stalled.writer)
    logsetup.configure(None, stderr=True)
    threading.Timer(1.0, stalled.start).start()  # the reader wakes after a second
    lag = asyncio.run(_log_burst_and_measure_lag(2000))
    assert lag < 0.1, f"the loop was held up {lag * 1000:.0f} ms"
    assert logsetup.shutdown()
    got = [line for line in stalled.finish() if "of a burst" in line]
    assert len(got) == 2000  # all written once the destination took them again
    assert got[-1].split("info: ")[1].startswith("line 1999 ")


def test_a_full_queue_drops_and_counts_and_says_so_once_drained(
    stalled: StalledStderr, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logqueue, "QUEUE_SIZE", 20)
    monkeypatch.setattr("sys.stderr", stalled.writer)
    logsetup.configure(None, stderr=True)
    log = logging.getLogger("pyhb.test")
    started = time.monotonic()
    for i in range(3000):  # far more than the pipe and the queue hold
        log.warning("line %d %s", i, "y" * 100)
    assert time.monotonic() - started < 2  # never waited for the destination
    stalled.start()
    assert logsetup.shutdown()
    out = stalled.finish()
    written = [line for line in out if "WARN: line " in line]
    notes = [line for line in out if "dropped here" in line]
    assert len(notes) >= 1
    lost = sum(int(n.split("WARN: ")[1].split()[0]) for n in notes)
    assert lost > 0
    assert len(written) + lost == 3000


def test_every_line_logged_before_shutdown_reaches_the_files(tmp_path: Path) -> None:
    logfile, debugfile = tmp_path / "ha.log", tmp_path / "debug.log"
    ha = HaConfig(node=("a",), logfile=str(logfile), debugfile=str(debugfile))
    logsetup.configure(ha, stderr=False)
    log = logging.getLogger("pyhb.test")
    for i in range(3000):  # within what the queues hold: none dropped
        log.info("info %d", i)
        log.debug("debug %d", i)
    assert logsetup.shutdown()
    assert logging.getLogger().handlers == []
    info = logfile.read_text().splitlines()
    assert [line.split("info: ")[1] for line in info] == [f"info {i}" for i in range(3000)]
    assert len(debugfile.read_text().splitlines()) == 6000


def test_a_rotated_log_file_is_reopened(tmp_path: Path) -> None:
    logfile = tmp_path / "ha.log"
    logsetup.configure(HaConfig(node=("a",), logfile=str(logfile)), stderr=False)
    log = logging.getLogger("pyhb.test")
    log.warning("before rotation")
    logsetup.flush()
    logfile.rename(tmp_path / "ha.log.1")  # what logrotate does
    log.warning("after rotation")
    assert logsetup.shutdown()
    assert "before rotation" in (tmp_path / "ha.log.1").read_text()
    text = logfile.read_text()
    assert "after rotation" in text
    assert "before rotation" not in text


def test_reconfiguring_does_not_wait_for_a_stalled_destination(
    stalled: StalledStderr, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr", stalled.writer)
    logsetup.configure(None, stderr=True)
    for i in range(2000):
        logging.getLogger("pyhb.test").info("line %d %s", i, "z" * 100)
    (old,) = logging.getLogger().handlers
    assert isinstance(old, logqueue.Background)
    started = time.monotonic()
    logsetup.configure(None, stderr=False)  # a reload, while stderr is still stalled
    assert time.monotonic() - started < 0.1
    stalled.start()
    assert old.wait(time.monotonic() + 10)  # it wrote what was queued, then ended
    assert len([line for line in stalled.finish() if "info: line " in line]) == 2000
