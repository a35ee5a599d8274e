"""Running rc.d event scripts: through the heartbeat package's own harc, with 3.0.6's
arguments and environment, one at a time, killed after the timeout."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from pyhb.config.model import ClusterConfig
from pyhb.daemon.app import script_environment
from pyhb.daemon.paths import Paths
from pyhb.daemon.rcscripts import EventScripts, for_daemon
from tests.helpers.procs import gone, running
from tests.helpers.sim import make_config

pytestmark = pytest.mark.asyncio

HARC = Path("/etc/ha.d/harc")
SHELLFUNCS = Path("/etc/ha.d/shellfuncs")

REPORT = """#!/bin/sh
out={out}
echo "argv=$0 $*" >> $out
echo "cwd=$(pwd)" >> $out
echo "pgid_is_pid=$(ps -o pgid= -p $$ | tr -d ' ')=$$" >> $out
env | grep -E '^(HA_|OCF_ROOT=)' | sort >> $out
$HA_NOARCHBIN/mach_down "$HA_src"
"""


@pytest_asyncio.fixture
async def opened() -> AsyncIterator[list[EventScripts]]:
    """Event-script queues to close after the test, whatever happened."""
    queues: list[EventScripts] = []
    yield queues
    for rcd in queues:
        await rcd.close()


def _mymessage(
    tmp_path: Path,
    opened: list[EventScripts],
    script: str,
    *,
    harc: bool = False,
    status: Callable[[], str] = lambda: "up",
) -> tuple[EventScripts, Paths]:
    """A node (``_node``) whose rc.d/mymessage is ``script``, and its event scripts, with
    ``status`` as the node's own status."""
    cfg, paths = _node(tmp_path, harc=harc)
    _script(paths.confdir / "rc.d" / "mymessage", script)
    rcd = for_daemon(cfg, paths, script_environment(cfg, paths), status)
    opened.append(rcd)
    return rcd, paths


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def _node(tmp_path: Path, *, harc: bool) -> tuple[ClusterConfig, Paths]:
    confdir = tmp_path / "ha.d"
    (confdir / "rc.d").mkdir(parents=True)
    if harc:
        if not (HARC.is_file() and SHELLFUNCS.is_file()):
            pytest.skip("the heartbeat package's harc and shellfuncs are not installed here")
        shutil.copy2(HARC, confdir / "harc")
        shutil.copy2(SHELLFUNCS, confdir / "shellfuncs")
    statedir = tmp_path / "state"
    (statedir / "cores" / "root").mkdir(parents=True)
    paths = Paths(confdir=confdir, statedir=statedir, rundir=tmp_path / "run")
    cfg = make_config("a")
    ha = dataclasses.replace(
        cfg.ha,
        logfile=str(tmp_path / "ha-log"),
        debugfile=str(tmp_path / "ha-debug"),
        params={"keepalive": "1", "udpport": "694"},  # the recorded directives
    )
    return dataclasses.replace(cfg, ha=ha), paths


def _vars(out: Path) -> dict[str, str]:
    lines = out.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


MESSAGE = (("t", "mymessage"), ("src", "b"), ("seq", "2a"), ("payload", "hello world"))


async def test_a_site_script_runs_through_harc_with_heartbeats_arguments_and_environment(
    tmp_path: Path, opened: list[EventScripts]
) -> None:
    out = tmp_path / "out"
    rcd, paths = _mymessage(
        tmp_path, opened, REPORT.format(out=out), harc=True, status=lambda: "active"
    )
    assert rcd.offer(MESSAGE)
    await rcd.drain()
    got = _vars(out)
    assert got["argv"] == f"{paths.confdir}/rc.d/mymessage mymessage"
    assert got["cwd"] == str(paths.statedir / "cores" / "root")
    pgid, pid = got["pgid_is_pid"].split("=")
    assert pgid == pid  # its own process group: harc exec'd the script, the group leader
    assert pgid != str(os.getpgid(0))
    assert got["HA_t"] == "mymessage"
    assert got["HA_src"] == "b"
    assert got["HA_seq"] == "2a"
    assert got["HA_payload"] == "hello world"
    assert got["HA_OSTATUS"] == "active"
    assert got["HA_CURHOST"] == "a"
    assert got["HA_NICEFAILBACK"] == "yes"
    assert got["HA_DIR"] == str(paths.confdir)
    assert got["HA_FUNCS"] == str(paths.confdir / "shellfuncs")
    assert got["HA_COMPRESSION"] == "zlib"
    assert got["HA_LOGD"] == "no"
    assert got["HA_DEBUGLOG"] == str(tmp_path / "ha-debug")
    assert got["HA_keepalive"] == "1"
    assert got["HA_udpport"] == "694"
    assert got["OCF_ROOT"] == "/usr/lib/ocf"
    log = (tmp_path / "ha-log").read_text()
    # harc's own line, then the stand-in's: mach_down does nothing under pyhb.
    assert f"info: Running {paths.confdir}/rc.d/mymessage mymessage" in log
    assert "info: mach_down b: not run: pyhb manages resources itself" in log
    assert rcd.outcomes[-1].rc == 0


async def test_without_harc_the_script_runs_directly(
    tmp_path: Path, opened: list[EventScripts]
) -> None:
    out = tmp_path / "out"
    rcd, paths = _mymessage(tmp_path, opened, REPORT.format(out=out))
    rcd.offer(MESSAGE)
    await rcd.drain()
    got = _vars(out)
    assert got["argv"] == f"{paths.confdir}/rc.d/mymessage mymessage"
    assert got["HA_OSTATUS"] == "up"


async def test_harc_without_the_shellfuncs_it_sources_is_passed_by(
    tmp_path: Path, opened: list[EventScripts]
) -> None:
    """After the heartbeat package is removed its harc stays (a conffile) while
    shellfuncs may be gone: harc would fail, so the script runs directly."""
    out = tmp_path / "out"
    script = f'#!/bin/sh\necho "$0 $*" > {out}\n'
    rcd, paths = _mymessage(tmp_path, opened, script, harc=True)
    (paths.confdir / "shellfuncs").unlink()
    rcd.offer(MESSAGE)
    await rcd.drain()
    assert out.read_text() == f"{paths.confdir}/rc.d/mymessage mymessage\n"
    assert rcd.outcomes[-1].argv[0] == str(paths.confdir / "rc.d" / "mymessage")


async def test_messages_without_a_script_run_nothing(
    tmp_path: Path, opened: list[EventScripts]
) -> None:
    rcd, _ = _mymessage(tmp_path, opened, "#!/bin/sh\n")
    assert not rcd.offer((("t", "other"), ("src", "b")))
    assert not rcd.offer((("t", "MyMessage"), ("src", "b")))
    assert rcd.offer((("t", "mymessage"), ("src", "b")))
    await rcd.drain()
    assert len(rcd.outcomes) == 1


async def test_runs_are_one_at_a_time_in_order(tmp_path: Path, opened: list[EventScripts]) -> None:
    out = tmp_path / "out"
    script = f'#!/bin/sh\necho "start $HA_n" >> {out}\nsleep 0.2\necho "end $HA_n" >> {out}\n'
    rcd, _ = _mymessage(tmp_path, opened, script)
    for n in range(3):
        rcd.offer((("t", "mymessage"), ("n", str(n))))
    await rcd.drain()
    assert out.read_text().split("\n")[:-1] == [
        "start 0", "end 0", "start 1", "end 1", "start 2", "end 2",
    ]  # fmt: skip


async def test_ha_ostatus_is_this_nodes_status_when_the_run_starts(
    tmp_path: Path, opened: list[EventScripts]
) -> None:
    """As in 3.0.6, which reads it when the queued job runs, not when it was queued."""
    out = tmp_path / "out"
    status = ["up"]
    script = f'#!/bin/sh\necho "$HA_n $HA_OSTATUS" >> {out}\nsleep 0.2\n'
    rcd, _ = _mymessage(tmp_path, opened, script, status=lambda: status[0])
    rcd.offer((("t", "mymessage"), ("n", "1")))
    rcd.offer((("t", "mymessage"), ("n", "2")))
    for _ in range(100):  # the first run has started
        if out.exists():
            break
        await asyncio.sleep(0.02)
    status[0] = "active"
    await rcd.drain()
    assert out.read_text() == "1 up\n2 active\n"


async def test_a_failing_script_is_logged_with_exit_code_and_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, opened: list[EventScripts]
) -> None:
    rcd, paths = _mymessage(tmp_path, opened, "#!/bin/sh\necho no mail server\nexit 3\n")
    rcd.offer((("t", "mymessage"),))
    await rcd.drain()
    assert rcd.outcomes[-1].rc == 3
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        f"Event script {paths.confdir}/rc.d/mymessage mymessage failed (exit code 3). "
        "Output: no mail server"
    ]


async def test_a_script_over_its_time_has_its_whole_process_group_killed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, opened: list[EventScripts]
) -> None:
    pids = tmp_path / "pids"
    script = f"#!/bin/sh\nsleep 300 &\necho $! > {pids}\nsleep 300\n"
    base, paths = _mymessage(tmp_path, opened, script)
    rcd = EventScripts(
        paths.confdir, base.scripts, base.base_env, base.extra_env, base.ostatus, timeout=0.5
    )
    opened.append(rcd)
    rcd.offer((("t", "mymessage"),))
    rcd.offer((("t", "mymessage"),))  # the next one still runs
    await asyncio.wait_for(rcd.drain(), 20)
    assert [o.rc for o in rcd.outcomes] == [None, None]
    assert await gone(int(pids.read_text()))
    assert "timed out after 0.5s: killed" in caplog.text


async def test_close_kills_the_running_script(tmp_path: Path, opened: list[EventScripts]) -> None:
    pids = tmp_path / "pids"
    script = f"#!/bin/sh\necho $$ > {pids}\nexec sleep 300\n"
    rcd, _ = _mymessage(tmp_path, opened, script)
    rcd.offer((("t", "mymessage"),))
    for _ in range(100):
        if pids.exists() and pids.read_text().strip():
            break
        await asyncio.sleep(0.05)
    await rcd.close()
    assert not running(int(pids.read_text()))  # close() waited for it to be reaped
