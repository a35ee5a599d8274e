"""ha.cf ``respawn`` clients: started once communication is up, restarted when they exit,
stopped at shutdown after the resources are released (docs/pingnodes.md).

As heartbeat 3.0.6 runs them: ``/bin/sh -c "exec COMMAND"`` as USER (its uid, gid and
supplementary groups) in a process group of its own, stdin/stdout/stderr on /dev/null,
the environment resource scripts get (the daemon's own plus ``HA_*``). An exit is logged
(``Managed CMD process PID exited with return code N.`` or ``... killed by signal N
[...]``); exit code 100 means "do not restart me"; otherwise the client is started again
one second later, unless it has now exited more than 10 times in a row each within 30 s
of its start (``Client CMD "respawning too fast"``). At shutdown each running client's
process group gets SIGTERM (last started first), then SIGKILL if it is still there after
``stop_grace`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pyhb.config.clients import resolve_program
from pyhb.config.directives import recorded
from pyhb.config.model import HaConfig, RespawnClient
from pyhb.resources.process import killpg
from pyhb.shipped import DEFAULT_CONFDIR

log = logging.getLogger("pyhb")

NO_RESPAWN_CODE = 100  # a client exiting with this code asks not to be restarted
SHORT_RUN = 30.0  # seconds: a run shorter than this counts towards "respawning too fast"
MAX_SHORT_RUNS = 10  # more consecutive short runs than this and the client is given up
RESPAWN_DELAY = 1.0  # seconds between an exit and the restart
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL at shutdown


def client_environment(script_env: Mapping[str, str], ha: HaConfig) -> dict[str, str]:
    """The environment of respawn clients: resource scripts' plus the few ``HA_*`` names
    3.0.6 adds for its clients (shell functions, compression, log facility)."""
    env = dict(script_env)
    env.setdefault("HA_FUNCS", env.get("HA_DIR", str(DEFAULT_CONFDIR)).rstrip("/") + "//shellfuncs")
    env.setdefault("HA_COMPRESSION", recorded(ha.params, "compression"))
    if ha.logfacility is not None:
        env.setdefault("HA_LOGFACILITY", ha.logfacility)
    return env


def signal_text(signum: int) -> str:
    """``15 [SIGTERM - Terminated]``, the way 3.0.6 names a killing signal."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        return str(signum)
    return f"{signum} [{name} - {signal.strsignal(signum)}]"


@dataclass
class _Client:
    spec: RespawnClient
    command: str
    proc: asyncio.subprocess.Process | None = None
    task: asyncio.Task[None] | None = None


class Supervisor:
    """Runs every ``respawn`` client for the daemon's life."""

    def __init__(
        self,
        clients: Sequence[RespawnClient],
        env: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.monotonic,
        respawn_delay: float = RESPAWN_DELAY,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        self.env = dict(env)
        self.clock = clock
        self.respawn_delay = respawn_delay
        self.stop_grace = stop_grace
        self.clients: list[_Client] = []
        for spec in clients:
            program, note = resolve_program(spec.program)
            if note is not None:
                log.warning("respawn: %s", note)
            self.clients.append(_Client(spec, program + spec.command[len(spec.program) :]))
        self.started = False
        self.stopping = False
        self.starts = 0  # processes started, for the counters

    def start(self) -> None:
        """Start every client (once; later calls do nothing)."""
        if self.started or self.stopping:
            return
        self.started = True
        for client in self.clients:
            client.task = asyncio.create_task(self._supervise(client))

    async def _supervise(self, client: _Client) -> None:
        short_runs = 0
        first = True
        while not self.stopping:
            if not first:
                await asyncio.sleep(self.respawn_delay)
                if self.stopping:
                    return
            first = False
            began = self.clock()
            try:
                proc = await self._spawn(client)
            except (OSError, KeyError) as exc:
                log.error('Cannot start child client "%s": %s', client.command, exc)
                return
            code = await proc.wait()
            self._log_exit(client, proc.pid, code)
            client.proc = None
            if self.stopping:
                return
            if code == NO_RESPAWN_CODE:
                log.info('Client "%s" exited with code %d: not respawning', client.command, code)
                return
            short_runs = short_runs + 1 if self.clock() - began < SHORT_RUN else 0
            if short_runs > MAX_SHORT_RUNS:
                log.error('Client %s "respawning too fast"', client.command)
                return
            log.error('Respawning client "%s":', client.command)

    async def _spawn(self, client: _Client) -> asyncio.subprocess.Process:
        user = pwd.getpwnam(client.spec.user)
        uid, gid = user.pw_uid, user.pw_gid
        log.info('Starting child client "%s" (%d,%d)', client.command, uid, gid)
        ids: dict[str, object] = {}
        if os.geteuid() == 0:
            ids = {"user": uid, "group": gid, "extra_groups": os.getgrouplist(user.pw_name, gid)}
        elif os.geteuid() != uid:
            log.warning("respawn: not root, %s runs as uid %d", client.command, os.geteuid())
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh", "-c", f"exec {client.command}",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=self.env,
            cwd="/",
            process_group=0,
            **ids,  # type: ignore[arg-type]
        )  # fmt: skip
        client.proc = proc
        self.starts += 1
        log.info('Starting "%s" as uid %d  gid %d (pid %d)', client.command, uid, gid, proc.pid)
        return proc

    def _log_exit(self, client: _Client, pid: int, code: int) -> None:
        if code < 0:
            log.warning(
                "Managed %s process %d killed by signal %s.",
                client.command, pid, signal_text(-code),
            )  # fmt: skip
        elif code == 0 or self.stopping:
            log.info("Managed %s process %d exited with return code %d.", client.command, pid, code)
        else:
            log.warning(
                "Managed %s process %d exited with return code %d.", client.command, pid, code
            )

    async def stop(self) -> None:
        """Stop every client: SIGTERM to its process group, SIGKILL after ``stop_grace``."""
        if self.stopping:
            return
        self.stopping = True
        for client in reversed(self.clients):
            proc = client.proc
            if proc is None or proc.returncode is not None:
                if self.started:
                    log.info("client [%s] is not running.", client.command)
                continue
            log.info("killing %s process group %d with signal 15", client.command, proc.pid)
            killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self.stop_grace)
            except TimeoutError:
                log.warning("killing %s process group %d with signal 9", client.command, proc.pid)
                killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        for client in self.clients:
            if client.task is not None:
                client.task.cancel()  # one waiting to restart its client
                with contextlib.suppress(asyncio.CancelledError):
                    await client.task

    def running(self) -> list[int]:
        """The pids of the clients running now."""
        return [
            c.proc.pid for c in self.clients if c.proc is not None and c.proc.returncode is None
        ]
