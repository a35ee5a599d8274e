"""The monitor's checks with real scripts: the status rule, ``check=`` commands, hung
checks killed at their timeout, restarts counted within the window, then a move."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from pyhb.config.monitors import MonitorSpec
from pyhb.core.events import Command, MonitorFailure
from pyhb.core.monitoring import ResourceHealth
from pyhb.daemon.groupops import restart_groups
from pyhb.daemon.monitor import FAILED_FILE, Monitor, load_failed, save_failed
from tests.adapter.test_runner import Env, group

pytestmark = pytest.mark.asyncio


class Target:
    """Stands for the engine: which groups are running here, what was submitted (and
    refused, with ``refusal``)."""

    def __init__(self, running: set[str]) -> None:
        self.running = running
        self.failed: set[str] = set()
        self.submitted: list[Command] = []
        self.refusal: str | None = None

    def monitor(self, env: Env) -> Monitor:
        return Monitor(
            env.runner(),
            ready=self.running.__contains__,
            failed=self.failed.__contains__,
            submit=self.submit,
        )

    def submit(self, cmd: Command) -> str | None:
        self.submitted.append(cmd)
        return self.refusal


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


async def _until(predicate: object, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_status_rule_and_check_commands(env: Env) -> None:
    env.service("svc")
    env.script("chk", "#!/bin/sh\necho checked $1; exit $1\n")
    mon = Target({"svc"}).monitor(env)
    mon.configure([group("svc")], [MonitorSpec("svc")])
    h = ResourceHealth("svc", 0, MonitorSpec("svc"))
    assert await mon.check(h) == ("failed", "svc is stopped")
    env.mark_running("svc")
    assert await mon.check(h) == ("ok", "svc is running")
    bad = ResourceHealth("svc", 0, MonitorSpec("svc", check=(str(env.rdir / "chk"), "3")))
    assert await mon.check(bad) == ("failed", "checked 3")
    good = ResourceHealth("svc", 0, MonitorSpec("svc", check=(str(env.rdir / "chk"), "0")))
    assert await mon.check(good) == ("ok", "checked 0")
    await mon.close()


async def test_a_hung_check_is_killed_at_its_timeout_and_does_not_hold_up_others(
    env: Env,
) -> None:
    env.service("svc")
    env.service("other")
    env.mark_running("other")
    hang = env.script("hang", "#!/bin/sh\nexec sleep 60\n")
    target = Target({"svc", "other"})
    mon = target.monitor(env)
    mon.configure(
        [group("svc"), group("other")],
        [
            MonitorSpec("svc", interval=0.05, timeout=0.5, check=(str(hang),)),
            MonitorSpec("other", interval=0.05),
        ],
    )
    started = time.monotonic()
    other = group("other").resources[0]
    await _until(lambda: (v := mon.lookup("other", other)) is not None and v.last_ok is True)
    assert time.monotonic() - started < 0.45  # while svc's check still hangs
    await _until(lambda: target.submitted)
    assert time.monotonic() - started < 3.0
    cmd = target.submitted[0]
    assert isinstance(cmd, MonitorFailure)
    assert (cmd.key, cmd.first, cmd.move) == ("svc", 0, False)
    assert "timed out: killed after 0.5s" in cmd.reason
    view = mon.lookup("svc", group("svc").resources[0])
    assert view is not None
    assert (view.last_ok, view.failures, view.window, view.cleared) == (False, 1, 600.0, True)
    await mon.close()


async def test_failures_restart_until_the_restarts_are_used_then_move(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.service("ip")
    env.service("svc")
    env.mark_running("ip")
    target = Target({"ip"})
    mon = target.monitor(env)
    mon.configure([group("ip", "svc")], [MonitorSpec("svc", interval=0.02, restarts=2)])
    caplog.set_level(logging.INFO)
    await _until(lambda: len(target.submitted) == 3)
    target.running.clear()  # the engine is handing the group over: no more checks
    moves = [c.move for c in target.submitted if isinstance(c, MonitorFailure)]
    assert moves == [False, False, True]
    assert all(isinstance(c, MonitorFailure) and c.first == 1 for c in target.submitted)
    svc = group("ip", "svc").resources[1]
    assert mon.lookup("ip", group("ip", "svc").resources[0]) is None  # not monitored
    view = mon.lookup("ip", svc)
    assert view is not None
    assert (view.restarts, view.failures) == (2, 3)
    text = caplog.text
    assert "monitor of svc (status) failed: svc is stopped; restart 1 of 2 within 600s" in text
    assert "; handing the group over" in text
    target.failed.add("ip")
    view = mon.lookup("ip", svc)
    assert view is not None
    assert not view.cleared
    mon.clear("ip")
    view = mon.lookup("ip", svc)
    assert view is not None
    assert (view.restarts, view.failures) == (0, 0)
    await mon.close()


async def test_failures_older_than_the_window_are_forgotten() -> None:
    h = ResourceHealth("g", 0, MonitorSpec("r", restarts=1, window=10.0))
    assert h.failure(100.0) is False
    assert h.failure(105.0) is True
    h.clear()
    assert h.failure(200.0) is False
    assert h.failure(210.5) is False  # the one at 200 is out of the window
    assert h.in_window(210.5) == 1


async def test_no_check_runs_while_the_group_is_not_running_here(env: Env) -> None:
    env.service("svc")
    target = Target(set())
    mon = target.monitor(env)
    mon.configure([group("svc")], [MonitorSpec("svc", interval=0.01)])
    await asyncio.sleep(0.2)
    assert target.submitted == []
    view = mon.lookup("svc", group("svc").resources[0])
    assert view is not None
    assert (view.last_check, view.last_ok) == (None, None)
    await mon.close()


async def test_restart_stops_right_to_left_then_starts_left_to_right(env: Env) -> None:
    for n in ("a", "b", "c"):
        env.service(n)
        env.mark_running(n)
    tail = group("b", "c")
    assert await restart_groups(env.runner(), [tail]) == []
    calls = [line.split()[-1] + " " + line.split()[0] for line in env.call_lines()]
    assert [c for c in calls if not c.startswith("status")] == [
        "stop c", "stop b", "start b", "start c",
    ]  # fmt: skip


async def test_failed_groups_are_kept_across_restarts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    groups = [group("ip", "svc"), group("db")]
    assert load_failed(tmp_path, groups) == set()
    save_failed(tmp_path, {"ip", "db"})
    assert (tmp_path / FAILED_FILE).read_text() == "db\nip\n"
    caplog.set_level(logging.WARNING)
    assert load_failed(tmp_path, groups) == {"ip", "db"}
    assert "Resource group db, ip failed on this node before" in caplog.text
    assert load_failed(tmp_path, groups[:1]) == {"ip"}  # gone from haresources: dropped
    save_failed(tmp_path, set())
    assert not (tmp_path / FAILED_FILE).exists()


async def test_a_refused_restart_is_not_counted_as_one(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.service("svc")
    target = Target({"svc"})
    target.refusal = "resources in transition"
    mon = target.monitor(env)
    mon.configure([group("svc")], [MonitorSpec("svc", interval=0.02, restarts=5)])
    await _until(lambda: len(target.submitted) >= 2)
    await mon.close()
    view = mon.lookup("svc", group("svc").resources[0])
    assert view is not None
    assert view.restarts == 0
    assert "Monitor of svc: nothing done (resources in transition)" in caplog.text


async def test_a_reload_keeps_the_counts_of_an_unchanged_monitor(env: Env) -> None:
    env.service("svc")
    target = Target(set())
    mon = target.monitor(env)
    svc = group("svc")
    mon.configure([svc], [MonitorSpec("svc", line=1)])
    mon._health[0].failure(time.monotonic())
    mon.configure([svc], [MonitorSpec("svc", line=3)])  # only moved
    assert (v := mon.lookup("svc", svc.resources[0])) is not None
    assert v.failures == 1
    mon.configure([svc], [MonitorSpec("svc", interval=5.0, line=3)])  # changed
    assert (v := mon.lookup("svc", svc.resources[0])) is not None
    assert v.failures == 0
    await mon.close()
