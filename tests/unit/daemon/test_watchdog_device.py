"""The watchdog device (``daemon.watchdog``), against stand-ins: the kernel's softdog
cannot be loaded on the test machines (``modprobe -n softdog`` finds no module) and no
test may open the host's /dev/watchdog, so a regular file stands in for the device (the
bytes written are read back; the timeout ioctl fails on it and is logged) and /dev/full
for a device whose writes fail."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from pyhb.daemon.watchdog import WATCHDOG_ENV, Watchdog, watchdog_device, watchdog_timeout


def test_the_device_is_the_configured_one_unless_overridden() -> None:
    assert watchdog_device(None, {WATCHDOG_ENV: "/tmp/x"}) is None  # no line: no watchdog
    assert watchdog_device("/dev/watchdog", {}) == "/dev/watchdog"
    assert watchdog_device("/dev/watchdog", {WATCHDOG_ENV: "/tmp/wd"}) == "/tmp/wd"


def test_the_timeout_is_deadtime_rounded_up_to_seconds() -> None:
    assert watchdog_timeout(30000) == 31
    assert watchdog_timeout(1000) == 2
    assert watchdog_timeout(5500) == 6


def test_open_writes_keepalives_and_the_magic_close_on_clean_shutdown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pyhb")
    stand_in = tmp_path / "watchdog"
    stand_in.touch()
    wd = Watchdog(str(stand_in), 30000)
    wd.open()
    assert f"Using watchdog device: {stand_in}" in caplog.text
    # A file is no watchdog driver: 3.0.6's line, and the daemon goes on.
    assert (
        "WDIOC_SETTIMEOUT: Failed to set watchdog timer to 31 seconds.: "
        "Inappropriate ioctl for device" in caplog.text
    )
    wd.tickle()
    wd.tickle()
    assert stand_in.read_bytes() == b"\0\0\0"
    wd.close(disarm=True)
    assert stand_in.read_bytes() == b"\0\0\0V"
    wd.tickle()  # closed: nothing more
    assert stand_in.read_bytes() == b"\0\0\0V"


def test_an_unclean_close_leaves_it_armed(tmp_path: Path) -> None:
    stand_in = tmp_path / "watchdog"
    stand_in.touch()
    wd = Watchdog(str(stand_in), 2000)
    wd.open()
    wd.close(disarm=False)
    assert stand_in.read_bytes() == b"\0"


def test_a_failing_write_closes_the_device(caplog: pytest.LogCaptureFixture) -> None:
    wd = Watchdog("/dev/full", 2000)  # every write fails with ENOSPC
    wd.open()
    assert "Watchdog write failure: closing /dev/full!" in caplog.text
    assert wd.fd is None


def test_keep_alive_writes_every_interval(tmp_path: Path) -> None:
    stand_in = tmp_path / "watchdog"
    stand_in.touch()
    wd = Watchdog(str(stand_in), 2000)

    async def run() -> None:
        wd.open()
        task = asyncio.create_task(wd.keep_alive(0.01))
        await asyncio.sleep(0.2)
        wd.close(disarm=True)
        await asyncio.wait_for(task, 1)  # ends by itself once closed

    asyncio.run(run())
    data = stand_in.read_bytes()
    assert data.endswith(b"V")
    assert data[:-1] == b"\0" * (len(data) - 1)
    assert len(data) - 1 >= 5


def test_a_missing_device_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Watchdog(str(tmp_path / "none"), 2000).open()
