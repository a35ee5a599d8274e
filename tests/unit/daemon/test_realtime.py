"""Real-time scheduling and memory locking (``daemon.realtime``), in a child process so the
test runner itself is never changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os, subprocess, sys
from pyhb.daemon.realtime import make_realtime
done = make_realtime(int(sys.argv[1]) if len(sys.argv) > 1 else None)
child = subprocess.run([sys.executable, "-c", "import os; print(os.sched_getscheduler(0))"],
                       capture_output=True, text=True, check=True).stdout.strip()
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print(json.dumps({"done": done, "policy": os.sched_getscheduler(0),
                  "prio": os.sched_getparam(0).sched_priority, "child": int(child),
                  "locked_kb": int(status["VmLck"].split()[0])}))
"""


def _probe(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


@pytest.mark.skipif(os.geteuid() != 0, reason="real-time scheduling needs root")
def test_the_daemon_runs_fifo_its_children_do_not_and_its_memory_is_locked() -> None:
    got = _probe("7")
    if "SCHED_FIFO 7" not in got["done"]:  # type: ignore[operator]
        pytest.skip(
            "this machine refuses SCHED_FIFO even to root (a container without CAP_SYS_NICE)"
        )
    assert got["policy"] == os.SCHED_FIFO | os.SCHED_RESET_ON_FORK
    assert got["prio"] == 7
    assert got["child"] == os.SCHED_OTHER  # resource scripts run as ordinary processes
    if "memory locked" in got["done"]:  # type: ignore[operator]
        assert isinstance(got["locked_kb"], int)
        assert got["locked_kb"] > 0


@pytest.mark.skipif(os.geteuid() != 0, reason="real-time scheduling needs root")
def test_default_priority_is_the_middle_of_the_fifo_range() -> None:
    got = _probe()
    if not got["done"]:
        pytest.skip("this machine refuses SCHED_FIFO even to root")
    low, high = os.sched_get_priority_min(os.SCHED_FIFO), os.sched_get_priority_max(os.SCHED_FIFO)
    assert got["prio"] == (low + high) // 2


def test_without_privileges_the_steps_are_skipped_and_said(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As an unprivileged user nothing is allowed: each step is logged, nothing raises."""
    code = (
        "import logging, sys; logging.basicConfig(stream=sys.stdout, format='%(message)s');"
        "from pyhb.daemon.realtime import make_realtime; print(make_realtime())"
    )
    argv = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        argv = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--", *argv]
        from tests.helpers.installed import readable_copy

        readable = readable_copy()
        env = {**os.environ, "PYTHONPATH": str(readable)}
    else:
        readable, env = None, dict(os.environ)
    try:
        res = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    finally:
        if readable is not None:
            import shutil

            shutil.rmtree(readable)
    assert res.returncode == 0, res.stderr
    assert "Cannot use real-time scheduling" in res.stdout
    assert res.stdout.strip().endswith("[]")
