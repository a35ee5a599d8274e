"""respawn clients: run as their user in their own process group, restarted when they
exit, given up when they exit too fast or with code 100, stopped at shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import pwd
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhb.config.model import HaConfig, RespawnClient
from pyhb.daemon.respawn import MAX_SHORT_RUNS, Supervisor, client_environment

ME = pwd.getpwuid(os.geteuid()).pw_name


def _script(tmp_path: Path, body: str) -> str:
    p = tmp_path / "client"
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return str(p)


def _client(tmp_path: Path, body: str, **supervisor: Any) -> tuple[Path, str, Supervisor]:
    """The file a client script's ``body`` appends to as ``$RUNS``, the script, and a
    supervisor of that one client."""
    runs = tmp_path / "runs"
    prog = _script(tmp_path, f"RUNS={runs}\n{body}")
    return runs, prog, Supervisor([RespawnClient(ME, prog)], {}, **supervisor)


async def _until(predicate: object, within: float = 10.0) -> None:
    assert callable(predicate)
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not predicate():
        assert loop.time() < end, "condition not met in time"
        await asyncio.sleep(0.02)


async def _given_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, code: int, logged: str
) -> tuple[Path, str, Supervisor]:
    """A client that exits with ``code`` at once (``_client``), supervised until ``logged``
    is logged, then a little longer (no respawn may follow)."""
    log, prog, sup = _client(tmp_path, f'echo run >> "$RUNS"\nexit {code}\n', respawn_delay=0.01)
    caplog.set_level(logging.INFO, "pyhb")
    sup.start()
    await _until(lambda: logged in caplog.text)
    await asyncio.sleep(0.2)
    return log, prog, sup


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.asyncio
async def test_a_killed_client_is_restarted_and_stopped_at_shutdown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "runs"
    prog = _script(tmp_path, f'echo "$$ $(ps -o pgid= $$) $1 $HA_x" >> {log}\nexec sleep 1000\n')
    sup = Supervisor([RespawnClient(ME, f"{prog} arg1")], {"HA_x": "y"}, respawn_delay=0.05)
    caplog.set_level(logging.INFO, "pyhb")
    sup.start()
    try:
        await _until(lambda: len(_lines(log)) == 1)
        pid, pgid, arg, env = _lines(log)[0].split()
        assert (int(pgid), arg, env) == (int(pid), "arg1", "y")  # own process group
        os.kill(int(pid), signal.SIGKILL)
        await _until(lambda: len(_lines(log)) == 2)
        assert f'Respawning client "{prog} arg1":' in caplog.text
        assert f"Managed {prog} arg1 process {pid} killed by signal 9 [SIGKILL" in caplog.text
        second = int(_lines(log)[1].split()[0])
    finally:
        await sup.stop()
    assert sup.running() == []
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)
    assert f"killing {prog} arg1 process group {second} with signal 15" in caplog.text
    assert len(_lines(log)) == 2  # not restarted after the stop


@pytest.mark.asyncio
async def test_a_client_exiting_at_once_is_given_up_after_ten_respawns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log, prog, sup = await _given_up(tmp_path, caplog, 1, "respawning too fast")
    assert len(_lines(log)) == MAX_SHORT_RUNS + 1  # the first run and ten respawns
    assert caplog.text.count("Respawning client") == MAX_SHORT_RUNS
    assert f'Client {prog} "respawning too fast"' in caplog.text
    assert f"Managed {prog} process" in caplog.text
    assert "exited with return code 1." in caplog.text
    await sup.stop()


@pytest.mark.asyncio
async def test_runs_longer_than_thirty_seconds_reset_the_count(tmp_path: Path) -> None:
    ticks = iter(range(0, 10_000, 31))  # every run seems to last 31 s
    log, _, sup = _client(
        tmp_path, 'echo run >> "$RUNS"\nexit 1\n', respawn_delay=0.0, clock=lambda: next(ticks)
    )
    sup.start()
    await _until(lambda: len(_lines(log)) >= 3 * MAX_SHORT_RUNS)
    await sup.stop()


@pytest.mark.asyncio
async def test_exit_code_100_means_do_not_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log, _, sup = await _given_up(tmp_path, caplog, 100, "not respawning")
    assert _lines(log) == ["run"]
    await sup.stop()


@pytest.mark.asyncio
async def test_a_client_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    body = "trap '' TERM\necho $$ >> \"$RUNS\"\nwhile :; do sleep 0.05; done\n"
    log, _, sup = _client(tmp_path, body, stop_grace=0.3)
    sup.start()
    await _until(lambda: len(_lines(log)) == 1)
    pid = int(_lines(log)[0])
    await asyncio.wait_for(sup.stop(), 5)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory any user can reach (pytest's tmp_path is root's own)."""
    path = Path(tempfile.mkdtemp(prefix="pyhb-respawn-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="switching user needs root")
@pytest.mark.asyncio
async def test_the_client_runs_as_the_given_user_with_its_groups(open_dir: Path) -> None:
    tmp_path = open_dir
    user = pwd.getpwnam("nobody")
    log = tmp_path / "ids"
    log.touch(mode=0o666)
    log.chmod(0o666)
    prog = _script(tmp_path, f'echo "$(id -u) $(id -g) $(id -G)" >> {log}\nexec sleep 1000\n')
    sup = Supervisor([RespawnClient("nobody", prog)], {})
    sup.start()
    try:
        await _until(lambda: len(_lines(log)) == 1)
    finally:
        await sup.stop()
    uid, gid, *groups = _lines(log)[0].split()
    assert (int(uid), int(gid)) == (user.pw_uid, user.pw_gid)
    assert sorted(map(int, groups)) == sorted(set(os.getgrouplist("nobody", user.pw_gid)))


@pytest.mark.asyncio
async def test_stop_before_start_and_twice_does_nothing(caplog: pytest.LogCaptureFixture) -> None:
    sup = Supervisor([RespawnClient(ME, "/bin/true")], {})
    caplog.set_level(logging.INFO, "pyhb")
    await sup.stop()
    await sup.stop()
    sup.start()  # too late: the daemon is stopping
    assert sup.running() == []
    assert sup.starts == 0
    assert "not running" not in caplog.text


def test_clients_get_the_script_environment_and_3_0_6_s_client_names() -> None:
    ha = HaConfig(node=("a",), logfacility="local0", params={"compression": "bz2"})
    env = client_environment({"HA_DIR": "/etc/ha.d", "HA_deadtime": "30"}, ha)
    assert env == {
        "HA_DIR": "/etc/ha.d",
        "HA_deadtime": "30",
        "HA_FUNCS": "/etc/ha.d//shellfuncs",
        "HA_COMPRESSION": "bz2",
        "HA_LOGFACILITY": "local0",
    }
