"""Running one script safely: argv only, clean environment, process-group kill, no zombies."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from pyhb.resources.plan import Action, Invocation
from pyhb.resources.process import run_subprocess, script_env
from tests.helpers.procs import gone


def _script(tmp_path: Path, body: str) -> str:
    p = tmp_path / "script"
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return str(p)


def _inv(path: str, *args: str, timeout: float = 10.0) -> Invocation:
    return Invocation((path, *args, "start"), timeout, "script", Action.START)


def _exists(p: Path) -> bool:
    return p.exists()


def _zombie_children() -> list[int]:
    me = os.getpid()
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            found.append(int(d.name))
    return found


@pytest.mark.asyncio
@pytest.mark.parametrize("ignore_term", [False, True])
async def test_hung_script_and_its_child_are_killed_as_a_group(
    tmp_path: Path, ignore_term: bool
) -> None:
    """After the timeout the whole process group dies (SIGKILL if SIGTERM is ignored)."""
    pids = tmp_path / "pids"
    trap = "trap '' TERM\n" if ignore_term else ""
    path = _script(tmp_path, f"{trap}sleep 300 &\necho $! $$ > {pids}\nwait\nsleep 300\n")
    started = time.monotonic()
    result = await run_subprocess(_inv(path, timeout=0.5), script_env({}), grace=0.3)
    elapsed = time.monotonic() - started
    assert result.timed_out
    assert result.rc is None
    assert elapsed < 3
    child, leader = (int(x) for x in pids.read_text().split())
    assert await gone(child, 2.0)
    assert await gone(leader, 2.0)
    assert _zombie_children() == []


@pytest.mark.asyncio
async def test_argument_with_shell_syntax_stays_one_argument(tmp_path: Path) -> None:
    """``x;touch FILE`` reaches the script as a single argv element and runs nothing."""
    pwned = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    arg = f"x;touch {pwned}"
    path = _script(tmp_path, 'echo "$#"; printf "%s\\n" "$1"\n')
    result = await run_subprocess(_inv(path, arg, "$(id)", "*"), script_env({}))
    assert result.stdout.splitlines() == ["4", arg]
    assert not _exists(pwned)


@pytest.mark.asyncio
async def test_script_sees_only_the_explicit_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable of the daemon's environment is invisible; PATH and passed HA_* are there."""
    monkeypatch.setenv("PYHB_TEST_SECRET", "hunter2")
    path = _script(tmp_path, "env\n")
    result = await run_subprocess(_inv(path), script_env({"HA_CURHOST": "node1"}))
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert "PYHB_TEST_SECRET" not in seen
    assert seen["HA_CURHOST"] == "node1"
    assert "/usr/bin" in seen["PATH"].split(":")
    assert set(seen) <= {"PATH", "HA_CURHOST", "PWD", "SHLVL", "_", "OLDPWD"}


@pytest.mark.asyncio
async def test_script_runs_in_root_dir_own_session_and_no_stdin(tmp_path: Path) -> None:
    """cwd is /, stdin is /dev/null, and the script leads its own session."""
    path = _script(tmp_path, "pwd; readlink /proc/$$/fd/0; ps -o sid= -p $$; echo $$\n")
    result = await run_subprocess(_inv(path), script_env({}))
    cwd, stdin, sid, pid = result.stdout.split()
    assert (cwd, stdin) == ("/", "/dev/null")
    assert sid == pid
    assert os.getsid(0) != int(sid)


@pytest.mark.asyncio
async def test_stdout_and_stderr_are_captured_separately_with_rc(tmp_path: Path) -> None:
    """rc, stdout and stderr come back; a background child holding them does not block."""
    bg = tmp_path / "bg"
    path = _script(tmp_path, f"echo out; echo err >&2; sleep 30 & echo $! > {bg}; exit 3\n")
    started = time.monotonic()
    try:
        result = await run_subprocess(_inv(path), script_env({}))
        assert time.monotonic() - started < 5
    finally:
        os.kill(int(bg.read_text()), signal.SIGKILL)
    assert (result.rc, result.stdout, result.stderr) == (3, "out\n", "err\n")


@pytest.mark.asyncio
async def test_missing_executable_is_a_failed_result(tmp_path: Path) -> None:
    """A path that cannot be executed comes back as rc 127, not an exception."""
    result = await run_subprocess(_inv(str(tmp_path / "nope")), script_env({}))
    assert result.rc == 127
    assert not result.ok
