"""Executing one resource-script invocation, safely: as a subprocess or a built-in agent.

One invocation (docs/architecture.md#invocation; as keepalived's ``notify.c``):
``create_subprocess_exec(*argv)``, never a shell; its own session (so its process group can
be killed as a whole); stdin from /dev/null; cwd ``/``; exactly the environment the caller
passes (``script_env``: PATH, then the caller's variables; the daemon passes its own
environment with the ``HA_*`` variables on top, as Heartbeat does, see
``daemon.scriptenv.script_environment``); stdout and stderr captured through pipes read while the
script runs and never waited on after it exits: a daemon started by the script may hold
them for ever, and what it writes is read and dropped (``resources.output``), never left
growing in a deleted file. On timeout the group gets
SIGTERM, then after a grace period SIGKILL, and the process is always reaped.

Built-in agents (``pyhb.agents``) run in-process with the same timeout and result shape.
Group operations and the choice between the two live in ``pyhb.resources.runner``.

Imports asyncio, os, signal, the stdlib, ``pyhb.resources.*`` and ``pyhb.agents``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pyhb.agents.base import InProcessAgent
from pyhb.resources.output import Output
from pyhb.resources.plan import Invocation

log = logging.getLogger(__name__)

DEFAULT_GRACE = 5.0
MAX_OUTPUT = 64 * 1024
TAIL_CHARS = 600
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def default_path() -> str:
    """PATH for scripts: the daemon's own Python first (pyhb's agents), then the system's."""
    return f"{os.path.dirname(sys.executable)}:{SYSTEM_PATH}"


def script_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The complete environment of a script: PATH, then exactly what the caller passed."""
    env = {"PATH": default_path()}
    env.update(extra)
    return env


@dataclass(frozen=True, slots=True)
class ScriptResult:
    """What one invocation did. Times are ``loop.time()`` readings."""

    invocation: Invocation
    rc: int | None  # None when killed after a timeout
    stdout: str
    stderr: str
    started: float
    finished: float
    timed_out: bool = False
    in_process: bool = False

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out

    @property
    def output_tail(self) -> str:
        """The end of stdout + stderr, for logs and outcomes."""
        text = (self.stdout + self.stderr).strip()
        return text[-TAIL_CHARS:]


def killpg(pgid: int, sig: signal.Signals) -> None:
    """Signal a process group that may be gone already."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def wait_or_kill(
    proc: asyncio.subprocess.Process,
    limit: float,
    grace: float,
    on_timeout: Callable[[], None] = lambda: None,
) -> bool:
    """Wait for ``proc`` (the leader of its own session); after ``limit`` seconds call
    ``on_timeout`` and kill its process group (SIGTERM, ``grace`` seconds, SIGKILL).
    Always reaped, also when cancelled. True if it timed out."""
    try:
        await asyncio.wait_for(proc.wait(), limit)
    except TimeoutError:
        on_timeout()
        killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
        # The leader may have exited on SIGTERM while children linger: kill the group.
        killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        return True
    finally:
        if proc.returncode is None:  # cancelled: never leave a process behind
            killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.shield(proc.wait())
    return False


async def run_subprocess(
    inv: Invocation, env: Mapping[str, str], *, grace: float = DEFAULT_GRACE
) -> ScriptResult:
    """Run ``inv`` as a subprocess in its own session; kill its group on timeout; always reap."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    timed_out = False
    out, err = Output(loop, MAX_OUTPUT), Output(loop, MAX_OUTPUT)
    try:
        proc = await asyncio.create_subprocess_exec(
            *inv.argv,
            stdin=subprocess.DEVNULL,
            stdout=out.write_fd,
            stderr=err.write_fd,
            cwd="/",
            env=dict(env),
            start_new_session=True,
        )
    except OSError as exc:
        out.close()
        err.close()
        return ScriptResult(
            inv,
            127 if isinstance(exc, FileNotFoundError) else 126,
            "",
            f"{exc}\n",
            started,
            loop.time(),
        )
    out.started()
    err.started()
    try:
        timed_out = await wait_or_kill(
            proc,
            inv.timeout,
            grace,
            lambda: _log_timeout(inv, f": killing process group {proc.pid}"),
        )
    finally:
        stdout, stderr = out.finish(), err.finish()
    finished = loop.time()
    rc = None if timed_out else proc.returncode
    if rc is not None and rc < 0:
        rc = 128 - rc  # killed by a signal: report it as a shell would
    _log_output(inv, stdout, stderr)
    return ScriptResult(inv, rc, stdout, stderr, started, finished, timed_out)


async def run_in_process(
    inv: Invocation, agent: InProcessAgent, args: tuple[str, ...]
) -> ScriptResult:
    """Run a built-in agent with the invocation's timeout; errors become a failed result."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        result = await asyncio.wait_for(agent.run(args, inv.action.value), inv.timeout)
    except TimeoutError:
        _log_timeout(inv, "")
        return ScriptResult(inv, None, "", "", started, loop.time(), True, True)
    except Exception as exc:  # an agent bug must still come back as a failed result
        log.exception("%s raised", inv.command_text)
        return ScriptResult(inv, 1, "", f"{exc}\n", started, loop.time(), in_process=True)
    _log_output(inv, result.output, "")
    return ScriptResult(inv, result.rc, result.output, "", started, loop.time(), in_process=True)


def _log_timeout(inv: Invocation, what: str) -> None:
    log.error("%s timed out after %gs%s", inv.command_text, inv.timeout, what)


def _log_output(inv: Invocation, stdout: str, stderr: str) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    for name, text in (("stdout", stdout), ("stderr", stderr)):
        for line in text.splitlines():
            log.debug("%s %s: %s", inv.command_text, name, line)
