"""The composition root: config, engine, media, resource runner, control socket and FIFO
on one asyncio loop (docs/architecture.md follows a datagram and an hb_standby through it).

Everything that can fail at start (state files, sockets, the control socket) fails
before the engine sends its first packet, with a message naming the cause.
Exceptions are caught and logged with context only here, at the task boundaries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import signal
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, assert_never

import pyhb
from pyhb.api.access import grants
from pyhb.api.glue import EngineView
from pyhb.api.server import ApiError, ApiServer
from pyhb.api.sessions import Sessions
from pyhb.clock import Instant
from pyhb.config.directives import recorded
from pyhb.config.model import ClusterConfig
from pyhb.config.units import parse_bool
from pyhb.control.fifo import FifoReader
from pyhb.control.server import ControlServer
from pyhb.control.status import MonitorAccessor, build_status
from pyhb.core.engine import Engine
from pyhb.core.events import (
    Cleanup,
    ClusterMessage,
    Command,
    FencePeer,
    GroupAction,
    HeartbeatLate,
    LinkStateChanged,
    LogLine,
    NodeStatus,
    OwnStatusesKnown,
    PeerStateChanged,
    RunGroups,
    Shutdown,
    ShutdownComplete,
    StatusChanged,
)
from pyhb.core.outbox import wire_name
from pyhb.core.snapshot import Snapshot
from pyhb.daemon import logsetup
from pyhb.daemon.companions import Companions
from pyhb.daemon.counters import Counters
from pyhb.daemon.fence import SelfFence
from pyhb.daemon.groupops import run_groups
from pyhb.daemon.monitor import Monitor, attach, load_failed, save_failed
from pyhb.daemon.notify import Notifier, keep_watchdog
from pyhb.daemon.paths import Paths
from pyhb.daemon.peermarks import MarkKeeper
from pyhb.daemon.rcoffers import offered
from pyhb.daemon.rcscripts import EventScripts, for_daemon
from pyhb.daemon.realtime import make_realtime
from pyhb.daemon.reload import LOGGING, merge, plan_reload, report, reread
from pyhb.daemon.scriptenv import runner_limits, script_environment
from pyhb.daemon.state import LoadAvg, prepare_state
from pyhb.daemon.stonith import Stonith, stonith_binary
from pyhb.daemon.watchdog import Watchdog, watchdog_device
from pyhb.net.sockets import MediumSocket, open_media
from pyhb.net.split import ignore_own, split_media
from pyhb.net.transport import Transport
from pyhb.resources.process import script_env
from pyhb.resources.runner import ResourceRunner

if TYPE_CHECKING:
    from pyhb.daemon.exporter import MetricsServer

log = logging.getLogger("pyhb")


@dataclass
class Daemon:
    """One running node."""

    config: ClusterConfig
    paths: Paths = field(default_factory=Paths)
    manage_resources: bool = True
    log_to_stderr: bool = False
    debug: int = 0
    realtime: bool = True  # False: heartbeat -l
    notifier: Notifier = field(default_factory=Notifier)
    fence: SelfFence = field(default_factory=lambda: SelfFence.from_environ(os.environ))
    engine: Engine | None = None
    transport: Transport | None = None
    runner: ResourceRunner | None = None
    counters: Counters = field(default_factory=Counters)
    monitor: MonitorAccessor | None = None  # per-resource monitor state, when monitored
    stonith: Stonith | None = None
    watchdog_dev: Watchdog | None = None  # the watchdog device (daemon.watchdog)
    monitors: Monitor | None = None  # the checks (docs/monitoring.md)
    _done: asyncio.Future[int] | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _media: list[MediumSocket] = field(default_factory=list)
    companions: Companions | None = None  # ping nodes, respawn clients (docs/pingnodes.md)
    api: ApiServer | None = None  # Heartbeat's client API (docs/api.md)
    _marks: MarkKeeper | None = None  # peers' replay floors (docs/authkeys.md)
    rcd: EventScripts | None = None  # rc.d event scripts (docs/eventscripts.md)

    async def run(self, ready: asyncio.Future[None] | None = None) -> int:
        """Run until shut down; returns the exit code."""
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        cfg, paths = self.config, self.paths
        listen = cfg.pyhb.metrics_listen  # pyhb.cf, checked with the rest of the files
        log.info("Configuration validated. Starting heartbeat 3.0.6 (pyhb %s)", pyhb.__version__)
        if self.realtime and parse_bool(recorded(cfg.ha.params, "realtime")):
            rtprio = recorded(cfg.ha.params, "rtprio")
            make_realtime(int(rtprio) if rtprio else None)
        generation, uuid = prepare_state(self.paths, cfg.ha.hbgenmethod)
        # Kernel filters drop other nodes' acknowledgements; steady statuses go to a
        # twin socket read at the engine's own timer, wherever the kernel allows it.
        media = self._media = split_media(open_media(cfg.ha.media), wire_name(cfg))
        self.runner = self._make_runner()
        self.engine = Engine(
            cfg,
            uuid=uuid,
            generation=generation,
            now=Instant(loop.time(), time.time()),
            rand=random.random,
            loadavg=LoadAvg(),
            manage_resources=self.manage_resources,
            lazy_statuses=any(ms.lazy is not None for ms in media),
        )
        self._start_monitor()
        self._marks = MarkKeeper.resume(paths.statedir, self.engine.peers)  # core.replayfloor
        server = ControlServer(paths.control_socket, target=self, staging=paths.private_dir)
        await server.start()
        exporter = None
        if listen:  # prometheus_client is loaded only then
            from pyhb.daemon.exporter import serve_metrics  # noqa: PLC0415

            exporter = await serve_metrics(listen, self.engine, self.counters, lambda: self.monitor)
        self._make_api()
        self.transport = await Transport.open(self.engine, media, on_events=self._drain)
        fifo = self._open_fifo()
        self._arm_watchdog_dev()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_term)
        loop.add_signal_handler(signal.SIGHUP, self._on_hup)
        self._start_companions()
        if ready is not None and not ready.done():
            ready.set_result(None)
        self.notifier.ready(self._status_line())
        watchdog = asyncio.create_task(keep_watchdog(self.notifier))
        try:
            code = await self._done
            self._close_watchdog_dev(disarm=True)  # a clean shutdown only
        finally:
            self._close_watchdog_dev(disarm=False)  # still open: left armed
            await self._stop_extras(watchdog, exporter)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            fifo.close()
            if self.companions is not None:
                await self.companions.stop()
            await server.close()
            self.transport.close()
            self.runner.close()
            await self._marks.close()
        log.info("%s Heartbeat shutdown complete.", cfg.local_node)
        return code

    def _make_runner(self) -> ResourceRunner:
        """The resource runner, which reboots on a stop failure (``daemon.fence``), and
        the STONITH devices to reset dead peers with (``daemon.stonith``)."""
        cfg = self.config
        env = script_environment(cfg, self.paths)  # each copies it
        runner = ResourceRunner(self.paths.resource_dirs(), env, **runner_limits(os.environ))
        if self.manage_resources:
            runner.prepare(cfg.groups)
            self.rcd = for_daemon(cfg, self.paths, env, self._own_status)
        runner.on_stop_failure = self.fence.stop_failed
        devices = cfg.ha.fencing.devices_for(cfg.local_node)
        self.stonith = Stonith(devices, stonith_binary(os.environ))
        return runner

    def _arm_watchdog_dev(self) -> None:
        """Arm the watchdog; the last step of start, so that no failure after it leaves
        the device armed with nobody writing it."""
        cfg = self.config
        if (device := watchdog_device(cfg.ha.fencing.watchdog, os.environ)) is not None:
            self.watchdog_dev = Watchdog(device, cfg.ha.deadtime)
            self.watchdog_dev.open()
            self._spawn(self.watchdog_dev.keep_alive(cfg.ha.keepalive / 1000))

    def _close_watchdog_dev(self, *, disarm: bool) -> None:
        if self.watchdog_dev is not None:
            self.watchdog_dev.close(disarm=disarm)

    def _open_fifo(self) -> FifoReader:
        """Heartbeat's own hb_standby/hb_takeover (still installed with the package)
        write their requests into this FIFO."""
        fifo = FifoReader(self.paths.statedir / "fifo", target=self)
        try:
            fifo.start()
        except OSError as exc:
            log.error("Cannot open FIFO %s: %s", fifo.path, exc)
        return fifo

    # -- engine events -----------------------------------------------------------------

    def _drain(self) -> None:
        assert self.engine is not None
        while (ev := self.engine.next_event()) is not None:
            match ev:
                case LogLine(level, text):
                    log.log(level, "%s", text)
                case RunGroups():
                    self._spawn(self._run_groups(ev))
                case FencePeer(node):
                    self._spawn(self._fence(node))
                case OwnStatusesKnown(prefix):
                    ignore_own(self._media, self.engine.local_raw, prefix)
                case ShutdownComplete():
                    if self._done is not None and not self._done.done():
                        self._done.set_result(0)
                case (
                    PeerStateChanged()
                    | LinkStateChanged()
                    | HeartbeatLate()
                    | StatusChanged()
                    | ClusterMessage()
                ):
                    self._observe(ev)
                case _:
                    assert_never(ev)
        if self.companions is not None and self.engine.comm_up:
            self.companions.clients.start()  # once communication is up, as 3.0.6 does (once)

    def _observe(
        self,
        ev: PeerStateChanged | LinkStateChanged | HeartbeatLate | StatusChanged | ClusterMessage,
    ) -> None:
        """Events that change nothing here: counted, and passed on to API clients (the
        log lines already say them)."""
        self.counters.observe(ev)
        if isinstance(ev, PeerStateChanged) and ev.new is NodeStatus.DEAD and self._marks:
            self._marks.soon()  # its last packets are known now
        self._offer_to_scripts(ev)
        api = self.api
        if api is None:
            return
        if isinstance(ev, ClusterMessage):
            api.sessions.cluster_message(ev.src, ev.msg)
        elif isinstance(ev, PeerStateChanged):
            api.sessions.node_changed(ev.node, str(ev.new), time.time())
        elif isinstance(ev, LinkStateChanged):
            api.sessions.link_changed(ev.node, ev.link, str(ev.new))
        elif isinstance(ev, StatusChanged) and not api.is_open:
            self._open_api()

    def _offer_to_scripts(
        self,
        ev: PeerStateChanged | LinkStateChanged | HeartbeatLate | StatusChanged | ClusterMessage,
    ) -> None:
        """rc.d event scripts (docs/eventscripts.md)."""
        if self.rcd is None or self.engine is None:
            return
        down = self.engine.ownership.shutting_down
        fields = offered(ev, local=self.config.local_node, shutting_down=down)
        if fields is not None:
            self.rcd.offer(fields)

    def _own_status(self) -> str:
        return str(self.engine.status) if self.engine is not None else "init"

    # -- Heartbeat's client API (docs/api.md) -------------------------------------------

    def _make_api(self) -> None:
        """The API server; its socket opens once communication is up (``_open_api``)."""
        assert self.engine is not None
        view = EngineView(self.engine, lambda: self.transport)
        sessions = Sessions(view, grants(self.config.ha.apiauth))
        self.api = ApiServer(
            self.paths.rundir / "register", sessions, staging=self.paths.private_dir
        )

    # -- ping nodes and respawn clients (docs/pingnodes.md) ------------------------------

    def _start_companions(self) -> None:
        assert self.engine is not None
        assert self.runner is not None
        pings = self.engine.pings.addresses() if self.engine.pings else {}
        self.companions = Companions.start(
            self.config.ha, self.runner.env, pings, self._ping_reply, comm_up=self.engine.comm_up
        )

    def _ping_reply(self, name: str) -> None:
        if self.engine is not None and self.transport is not None:
            self.engine.ping_reply(name, self.transport.now())
            self.transport.kick()

    def _open_api(self) -> None:
        """The client API opens when communication is up, as in 3.0.6."""
        assert self.api is not None
        assert self.engine is not None
        if self.engine.comm_up and not self.api.is_open:
            try:
                self.api.open()
            except ApiError as exc:
                log.error("%s: the client API is not available", exc)
                self.api = None

    async def _run_groups(self, ev: RunGroups) -> None:
        assert self.runner is not None
        assert self.engine is not None
        failed = await run_groups(self.runner, self.counters, ev)
        if ev.action is not GroupAction.ANNOUNCE and self.transport is not None:
            self.engine.script_finished(ev.op_id, failed, self.transport.now())
            self.transport.kick()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fence(self, node: str) -> None:
        """Reset a dead peer (``daemon.stonith``) and let the engine take over."""
        assert self.stonith is not None
        assert self.engine is not None
        engine = self.engine
        try:
            done = await self.stonith.reset(node, lambda: engine.fence_wanted(node))
        except Exception:
            log.exception("STONITH of %s failed", node)
            return
        if done and self.transport is not None:
            engine.fence_finished(node, self.transport.now())
            self.transport.kick()

    def _start_monitor(self) -> None:
        """Resource monitoring (docs/monitoring.md), with the failures kept from before."""
        if not self.manage_resources:
            return
        assert self.engine is not None
        assert self.runner is not None
        cfg = self.config
        self.engine.ownership.banned |= load_failed(self.paths.statedir, cfg.groups)
        self.monitors = attach(self.engine, self.runner, self.request)
        self.monitors.configure(cfg.groups, cfg.pyhb.monitors)
        self.monitor = self.monitors.lookup

    # -- control target ------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        assert self.engine is not None
        return self.engine.snapshot()

    def status(self) -> dict[str, Any]:
        """``pyhb status --json`` (docs/status.md)."""
        assert self.engine is not None
        now = asyncio.get_running_loop().time()
        return build_status(
            self.engine, now=now, started=self.engine.started, version=pyhb.__version__,
            monitor=self.monitor,
        )  # fmt: skip

    async def _stop_extras(
        self, watchdog: asyncio.Task[None], exporter: MetricsServer | None
    ) -> None:
        """Stop the watchdog pings, the resource checks, the metrics page and the client
        API."""
        watchdog.cancel()
        if self.rcd is not None:
            await self.rcd.close()
        if self.api is not None:
            await self.api.close()
        if self.monitors is not None:
            await self.monitors.close()
        if exporter is not None:
            await exporter.close()

    def request(self, cmd: Command) -> str | None:
        if isinstance(cmd, Shutdown):
            self.notifier.stopping()
        assert self.engine is not None
        assert self.transport is not None
        failed = set(self.engine.ownership.banned)
        result = self.engine.request(cmd, self.transport.now())
        self.transport.kick()
        if self.engine.ownership.banned != failed:
            save_failed(self.paths.statedir, self.engine.ownership.banned)
        if isinstance(cmd, Cleanup) and result is None and self.monitors is not None:
            self.monitors.clear(cmd.key)
        return result

    def _status_line(self) -> str:
        media = ", ".join(ms.description for ms in self._media) or "no media"
        return f"Running as node {self.config.local_node} ({media})"

    def reload(self) -> str | None:
        """Re-read the configuration; apply what can change live (see ``daemon.reload``)."""
        self.notifier.reloading()
        try:
            return self._reload()
        finally:
            self.notifier.ready(self._status_line())

    def _reload(self) -> str | None:
        assert self.engine is not None
        assert self.transport is not None
        new = reread(self.paths.confdir, self.config.local_node)
        if isinstance(new, str):
            return new
        monitors_changed = new.pyhb != self.config.pyhb
        if monitors_changed:
            self.config = dataclasses.replace(self.config, pyhb=new.pyhb)
            if self.monitors is not None:
                self.monitors.configure(self.config.groups, new.pyhb.monitors)
            log.info("Configuration reloaded: pyhb.cf")
        plan = plan_reload(self.config, new)
        if plan.unchanged:
            if not monitors_changed:
                log.info("Configuration unchanged.")
            return None
        merged = merge(self.config, new, plan)
        if LOGGING & set(plan.changed):
            logsetup.configure(merged.ha, stderr=self.log_to_stderr, debug=self.debug)
        self.engine.reconfigure(merged, self.transport.now())
        self.transport.kick()
        env = script_environment(merged, self.paths)
        if self.runner is not None:
            self.runner.env = script_env(env)
        if self.rcd is not None:
            self.rcd.base_env = env
        self.config = merged
        report(plan)
        return None

    # -- signals -------------------------------------------------------------------------

    def _on_term(self) -> None:
        self.request(Shutdown())

    def _on_hup(self) -> None:
        self.reload()
