"""Event scripts: a site's own ``CONFDIR/rc.d`` hooks, run as Heartbeat 3.0.6 runs them
(docs/eventscripts.md).

At start ``rc.d`` is listed once (dot-files ignored). Heartbeat's own scripts, as the
heartbeat package ships them, are recognised by their content and not run: they manage
resources, which pyhb does itself. An ``ip-request`` or ``ip-request-resp`` of the site's
own is refused (it would answer on the wire besides pyhb). Every other executable is run
for each offered message of its name (``daemon.rcoffers``): through ``CONFDIR/harc T``
when harc is executable, else directly as ``rc.d/T T``; one at a time, off the event loop,
in its own session, with a timeout after which its process group is killed. A failure is
logged with its exit code and output; nothing else changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pyhb.config.model import ClusterConfig
from pyhb.daemon.paths import Paths
from pyhb.daemon.rcoffers import Fields, job_environment
from pyhb.resources.output import Output
from pyhb.resources.process import wait_or_kill
from pyhb.shipped import standin_dir

log = logging.getLogger("pyhb")

#: SHA-256 of the rc.d scripts of Debian's heartbeat 3.0.6 package (heartbeat
#: 1:3.0.6-*, installed as /etc/ha.d/rc.d/*, unchanged since Heartbeat 2).
STOCK_SHA256 = {
    "c152bd16f9108c8430f1d0a8f1f4615efb0f12190a56bc1e066668a4f5c19700": "ask_resources",
    "2a867e92779ba6f0f9dc444690c9121e366466ca573a2b3d22f462d7c28b76d9": "hb_takeover",
    "ddcd7bd757af52b8d0d2fb9d5be88d28c4bce4992b61e0ecf43746f2c28f5ee6": "ip-request",
    "fd3a080beef9bce32a206e233813680b258b0d02d5a5cc21ba1fa1d3094e4833": "ip-request-resp",
    "1f1d6edbf0dee327cca9d43a047cd9265ede139654e906531e5563217295b4a5": "status",
}
#: Scripts that answer on the wire: pyhb answers these messages itself.
REFUSED = frozenset({"ip-request", "ip-request-resp"})
DEFAULT_TIMEOUT = 60.0
GRACE = 5.0
MAX_QUEUED = 1000
MAX_OUTPUT = 16 * 1024
TAIL_CHARS = 600


@dataclass(frozen=True, slots=True)
class Scripts:
    """What ``rc.d`` held at start: the names to run, and those left out."""

    runnable: frozenset[str] = frozenset()
    stock: frozenset[str] = frozenset()
    refused: frozenset[str] = frozenset()


def is_stock(path: Path) -> bool:
    """Whether ``path`` is one of Heartbeat's own rc.d scripts, byte for byte."""
    return hashlib.sha256(path.read_bytes()).hexdigest() in STOCK_SHA256


def scan(rcdir: Path) -> Scripts:
    """List ``rcdir`` once; log what is skipped or refused, and why."""
    try:
        names = sorted(os.listdir(rcdir))
    except FileNotFoundError:
        return Scripts()
    except OSError as exc:
        log.error("Cannot list %s: %s: no event scripts will run", rcdir, exc.strerror)
        return Scripts()
    runnable: set[str] = set()
    stock: set[str] = set()
    refused: set[str] = set()
    for name in names:
        path = rcdir / name
        if name.startswith(".") or not path.is_file():
            continue
        try:
            own = is_stock(path)
        except OSError as exc:
            log.error("Cannot read %s: %s: not run", path, exc.strerror)
            continue
        if own:
            stock.add(name)
            log.debug("rc.d/%s is Heartbeat's own: pyhb does its work itself", name)
        elif name in REFUSED:
            refused.add(name)
            log.error(
                "%s is not run: it is not Heartbeat's own %s, and pyhb answers ip-request "
                "itself (a second answer would go on the wire); see docs/eventscripts.md",
                path,
                name,
            )
        elif not os.access(path, os.X_OK):
            log.warning("%s is not executable: not run", path)
        else:
            runnable.add(name)
    if runnable:
        log.info("Event scripts in %s: %s", rcdir, " ".join(sorted(runnable)))
    return Scripts(frozenset(runnable), frozenset(stock), frozenset(refused))


@dataclass(frozen=True, slots=True)
class Job:
    argv: tuple[str, ...]
    fields: Fields


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one run ended: its exit code (None: killed after the timeout) and output."""

    argv: tuple[str, ...]
    rc: int | None
    output: str


class EventScripts:
    """The queue of event-script runs of one daemon: one at a time, in order."""

    def __init__(
        self,
        confdir: Path,
        scripts: Scripts,
        base_env: Mapping[str, str],
        extra_env: Mapping[str, str],
        ostatus: Callable[[], str],
        *,
        cwd: Path = Path("/"),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.confdir = confdir
        self.scripts = scripts
        self.base_env = dict(base_env)
        self.extra_env = dict(extra_env)
        self.ostatus = ostatus  # this node's status, when a run starts (HA_OSTATUS)
        self.cwd = cwd
        self.timeout = timeout
        self.outcomes: list[Outcome] = []  # the last few, newest last
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def wants(self, mtype: str) -> bool:
        """Whether a message of type ``mtype`` has a script to run."""
        return mtype in self.scripts.runnable and mtype.lower() in self.scripts.runnable

    def argv(self, mtype: str) -> tuple[str, ...]:
        """``harc t`` when harc is executable and the shellfuncs it sources are there
        (without them harc fails at once), else ``rc.d/t t``."""
        harc = self.confdir / "harc"
        cmd = mtype.lower()
        funcs = Path(self.extra_env.get("HA_FUNCS", self.confdir / "shellfuncs"))
        if harc.is_file() and os.access(harc, os.X_OK) and funcs.is_file():
            return (str(harc), cmd)
        return (str(self.confdir / "rc.d" / cmd), cmd)

    def offer(self, fields: Fields) -> bool:
        """Queue a run for this message if a script wants it; True if queued."""
        mtype = next((v for k, v in fields if k == "t"), "")
        if not self.wants(mtype):
            return False
        if self._queue.qsize() >= MAX_QUEUED:
            log.error("Event script queue full (%d): rc.d/%s not run", MAX_QUEUED, mtype)
            return False
        self._queue.put_nowait(Job(self.argv(mtype), fields))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())
        return True

    async def drain(self) -> None:
        """Wait until every queued run has finished (tests, shutdown)."""
        await self._queue.join()

    async def close(self) -> None:
        """Stop: the running script's process group is killed, queued runs dropped."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                env = job_environment(
                    self.base_env, job.fields, ostatus=self.ostatus(), extra=self.extra_env
                )
                outcome = await run_job(job.argv, env, self.cwd, self.timeout)
            except Exception:  # a bug here must not stop the next runs
                log.exception("event script %s", " ".join(job.argv))
            else:
                self.outcomes = [*self.outcomes[-19:], outcome]
            finally:
                self._queue.task_done()


def for_daemon(
    config: ClusterConfig, paths: Paths, base_env: Mapping[str, str], ostatus: Callable[[], str]
) -> EventScripts:
    """The event scripts of the node ``config`` describes, ``rc.d`` listed now.

    ``base_env`` is the resource scripts' environment; the rest is what 3.0.6 adds for
    these scripts. They run in ``STATEDIR/cores/root`` when it exists, as under 3.0.6.
    """
    extra = {
        "HA_FUNCS": str(paths.confdir / "shellfuncs"),
        "HA_COMPRESSION": "zlib",
        "HA_LOGD": "yes" if config.ha.use_logd else "no",
        "HA_NOARCHBIN": str(standin_dir()),
    }
    if config.ha.logfacility:
        extra["HA_LOGFACILITY"] = config.ha.logfacility
    cores = paths.statedir / "cores" / "root"
    cwd = cores if cores.is_dir() else Path("/")
    scripts = scan(paths.confdir / "rc.d")
    return EventScripts(paths.confdir, scripts, base_env, extra, ostatus, cwd=cwd)


async def run_job(
    argv: tuple[str, ...], env: Mapping[str, str], cwd: Path, limit: float
) -> Outcome:
    """Run one script in its own session; kill its group after ``limit`` seconds; always reap."""
    text = " ".join(argv)
    # A pipe drained until its last holder lets go, never a temporary file a background
    # child would keep writing into after it was deleted (resources.output).
    out = Output(asyncio.get_running_loop(), MAX_OUTPUT)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=subprocess.DEVNULL, stdout=out.write_fd, stderr=out.write_fd,
            cwd=str(cwd), env=dict(env), start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        out.close()
        log.error("Event script %s cannot run: %s", text, exc)
        return Outcome(argv, 127, str(exc))
    out.started()
    try:
        timed_out = await wait_or_kill(proc, limit, GRACE)
    finally:
        output = out.finish()
    rc = None if timed_out else proc.returncode
    tail = output.strip()[-TAIL_CHARS:]
    if rc is None:
        log.error("Event script %s timed out after %gs: killed. Output: %s", text, limit, tail)
    elif rc != 0:
        shown = 128 - rc if rc < 0 else rc
        log.error("Event script %s failed (exit code %d). Output: %s", text, shown, tail)
    else:
        log.debug("Event script %s done. Output: %s", text, tail)
    return Outcome(argv, rc if rc is None or rc >= 0 else 128 - rc, output)
