"""The STONITH adapter (``daemon.stonith``) and the start-up checks of fencing
(``daemon.fence_check``), against a stand-in ``stonith`` command (a script under
``tmp_path`` that records its arguments); the real one runs in the namespace tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pyhb.config.fencing import Fencing, StonithDevice
from pyhb.config.model import HaConfig
from pyhb.daemon.fence_check import fencing_issues
from pyhb.daemon.stonith import (
    DEFAULT_STONITH,
    STONITH_ENV,
    Stonith,
    reset_argv,
    stonith_binary,
)
from pyhb.daemon.watchdog import WATCHDOG_ENV

FILE_DEV = StonithDevice("baytech", config_file="/etc/ha.d/baytech.cfg", line=7)
HOST_DEV = StonithDevice("external/ipmi", "*", ("b", "10.0.0.9", "admin", "pw"), line=8)


def fake_stonith(tmp_path: Path, refuse: int = 0, hang: bool = False) -> Path:
    """A stonith stand-in: ``-L`` lists two types; a reset is refused ``refuse`` times."""
    script = tmp_path / "stonith"
    calls = tmp_path / "calls"
    count = tmp_path / "refuse"
    count.write_text(str(refuse))
    script.write_text(
        f"""#!/bin/sh
[ "$1" = -L ] && {{ echo baytech; echo external/ipmi; exit 0; }}
printf '%s|' "$@" >> {calls}; echo >> {calls}
{"sleep 30" if hang else ""}
n=$(cat {count}); [ "$n" -gt 0 ] && {{ echo $((n - 1)) > {count}; echo "no route"; exit 5; }}
exit 0
"""
    )
    script.chmod(0o755)
    return script


def calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "calls"
    return path.read_text().splitlines() if path.exists() else []


def test_the_command_is_cluster_glues_unless_overridden() -> None:
    assert stonith_binary({}) == DEFAULT_STONITH == "/usr/sbin/stonith"
    assert stonith_binary({STONITH_ENV: "/opt/bin/stonith"}) == "/opt/bin/stonith"


def test_reset_command_lines_follow_the_two_forms() -> None:
    assert reset_argv("st", FILE_DEV, "b") == [
        "st", "-t", "baytech", "-F", "/etc/ha.d/baytech.cfg", "-T", "reset", "b"
    ]  # fmt: skip
    assert reset_argv("st", HOST_DEV, "b") == [
        "st", "-t", "external/ipmi", "-p", "b 10.0.0.9 admin pw", "-T", "reset", "b"
    ]  # fmt: skip


def test_reset_retries_until_it_succeeds_and_hides_the_parameters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    st = Stonith((HOST_DEV,), str(fake_stonith(tmp_path, refuse=2)), retry_delay=0.01)
    assert asyncio.run(st.reset("b", lambda: True))
    assert calls(tmp_path) == ["-t|external/ipmi|-p|b 10.0.0.9 admin pw|-T|reset|b|"] * 3
    assert caplog.text.count("STONITH of b failed.  Retrying...") == 2
    assert caplog.text.count("Host b not reset!") == 2
    assert "-t external/ipmi -p ... -T reset b: exit code 5: no route" in caplog.text
    assert "admin pw" not in caplog.text


def test_every_device_is_tried_in_order_before_a_retry(tmp_path: Path) -> None:
    st = Stonith((FILE_DEV, HOST_DEV), str(fake_stonith(tmp_path, refuse=1)), retry_delay=0)
    assert asyncio.run(st.reset_once("b"))
    assert [c.split("|")[1] for c in calls(tmp_path)] == ["baytech", "external/ipmi"]


def test_reset_stops_when_no_longer_wanted(tmp_path: Path) -> None:
    st = Stonith((HOST_DEV,), str(fake_stonith(tmp_path, refuse=100)), retry_delay=0.01)
    asked = iter([True, True, True, False])  # asked before each try and each retry
    assert not asyncio.run(st.reset("b", lambda: next(asked)))
    assert len(calls(tmp_path)) == 2


def test_a_hung_reset_is_killed_at_the_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    st = Stonith((HOST_DEV,), str(fake_stonith(tmp_path, hang=True)), timeout=0.3)
    assert not asyncio.run(st.reset_once("b"))
    assert "timed out" in caplog.text


def test_a_missing_command_fails_the_reset(tmp_path: Path) -> None:
    st = Stonith((HOST_DEV,), str(tmp_path / "none"), retry_delay=0)
    assert not asyncio.run(st.reset_once("b"))


# -- start-up checks ---------------------------------------------------------------


def ha_with(fencing: Fencing) -> HaConfig:
    return HaConfig(node=("a", "b"), fencing=fencing)


def test_fencing_that_can_work_raises_no_issue(tmp_path: Path) -> None:
    cfg = tmp_path / "baytech.cfg"
    cfg.write_text("10.0.0.3 login pw\n")
    wd = tmp_path / "wd"
    wd.touch()
    fencing = Fencing((StonithDevice("baytech", config_file=str(cfg), line=7), HOST_DEV),
                      "/dev/watchdog", 9)  # fmt: skip
    env = {STONITH_ENV: str(fake_stonith(tmp_path)), WATCHDOG_ENV: str(wd)}
    assert fencing_issues(ha_with(fencing), "ha.cf", env) == []


def test_fencing_that_cannot_work_is_an_error_at_its_line(tmp_path: Path) -> None:
    fencing = Fencing(
        (FILE_DEV, StonithDevice("external/nosuch", "*", ("x",), line=8)), "/dev/watchdog", 9
    )
    env = {STONITH_ENV: str(fake_stonith(tmp_path)), WATCHDOG_ENV: str(tmp_path / "nowd")}
    issues = [str(i) for i in fencing_issues(ha_with(fencing), "ha.cf", env)]
    assert issues == [
        "ha.cf:7: error: stonith: cannot read the device configuration file /etc/ha.d/baytech.cfg",
        f"ha.cf:8: error: stonith_host: unknown STONITH device type 'external/nosuch' "
        f"('{tmp_path}/stonith -L' does not list it)",
        f"ha.cf:9: error: watchdog: no device {tmp_path}/nowd (load a watchdog driver, "
        f"e.g. 'modprobe softdog', or name the device with PYHB_WATCHDOG_DEVICE)",
    ]


def test_a_missing_stonith_command_is_an_error(tmp_path: Path) -> None:
    fencing = Fencing((HOST_DEV,))
    env = {STONITH_ENV: str(tmp_path / "none")}
    (issue,) = fencing_issues(ha_with(fencing), "/etc/ha.d/ha.cf", env)
    assert str(issue).startswith(
        "/etc/ha.d/ha.cf:8: error: stonith_host: cannot run the STONITH command ("
    )
    assert "install cluster-glue or name the command with PYHB_STONITH" in str(issue)


def test_no_fencing_lines_need_nothing(tmp_path: Path) -> None:
    env = {STONITH_ENV: str(tmp_path / "none"), WATCHDOG_ENV: str(tmp_path / "none")}
    assert fencing_issues(ha_with(Fencing()), "ha.cf", env) == []
