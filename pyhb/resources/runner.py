"""Acquiring and releasing resource groups the way heartbeat's ResourceManager does
(docs/architecture.md#taking-and-giving-a-group).

``take_group`` (ResourceManager ``takegroup``): log ``Acquiring resource group: NODE R1 R2 ...``;
for each resource left to right run ``status``; if it is owned (the status rule) skip it, else run
``start``. On the first failure log ``Giving up resources due to failure of R`` and stop, in
reverse, the failed resource and every resource this call started, then report the failure.
(heartbeat releases the whole group and later runs ``hb_standby``; pyhb leaves alone what
was already running before the call, and the daemon decides what happens next.)

``give_group`` (``givegroup``): log ``Releasing resource group: ...``; stop right to
left; a failing stop is retried ``stop_retries`` times ``retry_delay`` apart (heartbeat:
``HA_STOPRETRYMAX`` = 10, 1 s; 0 or less = for ever) with ``Retrying failed stop operation
[R]``. If it still fails and status says the resource is still owned, the outcome is
``STOP_FAILED`` (``still_running`` names the resources). ``on_stop_failure``, when set,
is called at once with the resource: the daemon reboots the node there, as heartbeat
does (``daemon.fence``), before anything else of the group is stopped.

The order of both is ``resources.plan``'s (``ordered``, ``in_order``).
Each ``Running PATH ARGS ACTION`` / ``Return code N from PATH`` line matches heartbeat's.
Scripts are found with ``resources.locate`` at run time; IPaddr, IPaddr2 and SendArp run
in-process (agents built, and so pyroute2 imported, at construction).

Concurrency: one group operation at a time per runner (an ``asyncio.Lock``); the daemon
runs groups one after another anyway, as heartbeat's resource queue does.

Imports asyncio, the stdlib, ``pyhb.resources.*``, ``pyhb.agents``, ``pyhb.config.model``
and ``pyhb.core.events`` (for ``GroupAction``).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyhb.agents.arp import plan_from_env
from pyhb.agents.base import DEFAULT_RUNDIR, InProcessAgent
from pyhb.agents.names import is_address_agent
from pyhb.agents.registry import AgentRegistry, build_registry
from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.core.events import GroupAction
from pyhb.resources.locate import ScriptError, ScriptRefused, builtin_may_replace, locate
from pyhb.resources.plan import Action, Invocation, Timeouts, build_invocation, in_order, ordered
from pyhb.resources.process import (
    DEFAULT_GRACE,
    ScriptResult,
    run_in_process,
    run_subprocess,
    script_env,
)
from pyhb.resources.status import owned_from_status_output

log = logging.getLogger(__name__)

DEFAULT_STOP_RETRIES = 10  # heartbeat's HA_STOPRETRYMAX
DEFAULT_RETRY_DELAY = 1.0


@dataclass(frozen=True, slots=True)
class Step:
    """One script run inside a group operation (times are ``loop.time()`` readings)."""

    resource: str
    action: Action
    rc: int | None
    started: float
    finished: float
    timed_out: bool = False
    owned: bool | None = None  # for status steps: the status rule's verdict


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """The result of ``take_group`` / ``give_group``."""

    action: GroupAction
    key: str
    status: GroupStatus
    started: float
    finished: float
    steps: tuple[Step, ...]
    failed: str | None = None  # the resource (as written) that failed
    rc: int | None = None
    output_tail: str = ""
    still_running: tuple[str, ...] = ()  # resources whose stop failed while still owned

    @property
    def ok(self) -> bool:
        return self.status is GroupStatus.OK


class GroupStatus(enum.StrEnum):
    """How a group operation ended (as heartbeat's ResourceManager words it)."""

    OK = "ok"
    START_FAILED = "start failure"
    STOP_FAILED = "stop failure, still running"


@dataclass(slots=True)
class _Run:
    """One group operation in progress: its steps and the resources it could not stop."""

    action: GroupAction
    key: str
    started: float
    steps: list[Step] = field(default_factory=list)
    still_running: list[str] = field(default_factory=list)

    def outcome(
        self,
        status: GroupStatus,
        failed: str | None = None,
        result: ScriptResult | None = None,
    ) -> GroupOutcome:
        """The operation's outcome, finished now: what failed, and how (``result``)."""
        return GroupOutcome(
            self.action, self.key, status, self.started, asyncio.get_running_loop().time(),
            tuple(self.steps), failed,
            rc=result.rc if result is not None else None,
            output_tail=result.output_tail if result is not None else "",
            still_running=tuple(self.still_running),
        )  # fmt: skip


class ResourceRunner:
    """Runs resource scripts for the daemon: one invocation, or whole groups."""

    def __init__(
        self,
        resource_dirs: Sequence[Path],
        env: Mapping[str, str] | None = None,
        *,
        timeouts: Timeouts | None = None,
        grace: float = DEFAULT_GRACE,
        stop_retries: int = DEFAULT_STOP_RETRIES,
        retry_delay: float = DEFAULT_RETRY_DELAY,
        agents: AgentRegistry | None = None,
        builtin_agents: bool = True,
        enforce_owner: bool | None = None,
    ) -> None:
        self.resource_dirs = tuple(resource_dirs)
        self.env = script_env(env or {})
        self._builtin_ok: dict[str, bool] = {}
        self.timeouts = timeouts or Timeouts()
        self.grace = grace
        self.stop_retries = stop_retries
        self.retry_delay = retry_delay
        self.enforce_owner = enforce_owner
        if agents is None and builtin_agents:
            rundir = Path(self.env.get("HA_RSCTMP") or DEFAULT_RUNDIR)
            # The ARP train honours OCF_RESKEY_ARP_REPEAT / _ARP_INTERVAL_MS as IPaddr does.
            agents = build_registry(rundir, plan_from_env(self.env))
        self.agents = agents
        self._lock = asyncio.Lock()
        self.on_stop_failure: Callable[[str], None] | None = None

    def prepare(self, groups: Sequence[ResourceGroup]) -> None:
        """Open what the built-in agents of these groups need (ARP sockets) ahead of time."""
        if self.agents is None:
            return
        for ref in (r for g in groups for r in g.resources):
            self._builtin(ref)
        self.agents.prepare((r.name, r.args) for g in groups for r in g.resources)

    def _builtin(self, ref: ResourceRef) -> InProcessAgent | None:
        """The built-in agent to run for ``ref``, if it may replace the script found."""
        agent = self.agents.get(ref.name) if self.agents is not None else None
        if agent is None:
            return None
        path, problem = self._path(ref)
        if problem is not None:
            return agent  # no script of that name anywhere: the built-in one is it
        allowed = self._builtin_ok.get(path)
        if allowed is None:
            allowed = builtin_may_replace(ref.name, Path(path))
            self._builtin_ok[path] = allowed
            if not allowed:
                log.info("%s is a site script: it runs instead of pyhb's built-in agent", path)
        return agent if allowed else None

    def close(self) -> None:
        """Release the built-in agents' sockets and cancel their ARP trains."""
        if self.agents is not None:
            self.agents.close()

    # -- one resource ----------------------------------------------------------------

    def _path(self, ref: ResourceRef) -> tuple[str, ScriptError | None]:
        try:
            return str(locate(ref.name, self.resource_dirs, enforce_owner=self.enforce_owner)), None
        except ScriptError as exc:
            return ref.name, exc

    async def run(
        self, ref: ResourceRef, action: Action, timeouts: Timeouts | None = None
    ) -> ScriptResult:
        """Run ``action`` of one resource (status runs are not logged at info, as heartbeat);
        ``timeouts`` replaces the runner's own (a monitor's check timeout)."""
        agent = self._builtin(ref)
        path, problem = self._path(ref)
        inv = build_invocation(path, ref, action, timeouts or self.timeouts)
        if action is not Action.STATUS:
            log.info("Running %s", inv.command_text)
        if agent is not None:
            result = await run_in_process(inv, agent, ref.args)
        elif problem is not None:
            if isinstance(problem, ScriptRefused):
                log.error("%s", problem)
            else:
                log.error("Cannot locate resource script %s", ref.name)
            now = asyncio.get_running_loop().time()
            result = ScriptResult(inv, 1, "", f"{problem}\n", now, now)
        else:
            result = await run_subprocess(inv, self.env, grace=self.grace)
        if action is not Action.STATUS and not result.ok:
            rc = "timeout" if result.timed_out else result.rc
            log.error("Return code %s from %s", rc, path)
        return result

    async def is_owned(self, ref: ResourceRef) -> bool:
        """Heartbeat's ``we_own_resource``: run status, read only its stdout."""
        return owned_from_status_output((await self.run(ref, Action.STATUS)).stdout)

    async def announce(self, group: ResourceGroup) -> list[str]:
        """Re-send gratuitous ARPs for the group's addresses that are configured here.

        Only the built-in address agents (``agents.names``) know how; a site's own IP script is left
        alone (logged). Returns the resources announced.
        """
        done: list[str] = []
        for ref in group.resources:
            if not is_address_agent(ref.name):
                continue
            if self.agents is None or self._builtin(ref) is None:
                log.info("%s: a site script; gratuitous ARP not re-sent", ref.text)
                continue
            if await self.agents.announce(ref.name, ref.args):
                done.append(ref.text)
        return done

    # -- groups ----------------------------------------------------------------------

    async def take_group(self, group: ResourceGroup) -> GroupOutcome:
        """Acquire ``group`` left to right; on failure roll back what this call started."""
        async with self._lock:
            return await self._take(group)

    async def give_group(self, group: ResourceGroup) -> GroupOutcome:
        """Release ``group`` right to left, retrying failing stops."""
        async with self._lock:
            run = _Run(GroupAction.GIVE, group.key, asyncio.get_running_loop().time())
            log.info("Releasing resource group: %s", _group_text(group))
            for ref in ordered(group, Action.STOP):
                await self._stop_with_retries(ref, run)
            if run.still_running:
                return run.outcome(GroupStatus.STOP_FAILED, failed=run.still_running[0])
            return run.outcome(GroupStatus.OK)

    async def _status_step(self, ref: ResourceRef, run: _Run) -> bool:
        result = await self.run(ref, Action.STATUS)
        owned = owned_from_status_output(result.stdout)
        run.steps.append(_step(result, owned))
        return owned

    async def _take(self, group: ResourceGroup) -> GroupOutcome:
        run = _Run(GroupAction.TAKE, group.key, asyncio.get_running_loop().time())
        log.info("Acquiring resource group: %s", _group_text(group))
        started_here: list[ResourceRef] = []
        for ref in ordered(group, Action.START):
            if await self._status_step(ref, run):
                continue
            result = await self.run(ref, Action.START)
            run.steps.append(_step(result))
            if result.ok:
                started_here.append(ref)
                continue
            log.critical("Giving up resources due to failure of %s", ref.text)
            for undo in in_order([*started_here, ref], Action.STOP):
                await self._stop_with_retries(undo, run)
            return run.outcome(GroupStatus.START_FAILED, ref.text, result)
        return run.outcome(GroupStatus.OK)

    async def _stop_with_retries(self, ref: ResourceRef, run: _Run) -> bool:
        """Stop ``ref`` like ``giveupresourcegroup``; True if it is stopped (or not owned)."""
        result = await self.run(ref, Action.STOP)
        run.steps.append(_step(result))
        retries = 0
        while not result.ok and (self.stop_retries <= 0 or retries < self.stop_retries):
            await asyncio.sleep(self.retry_delay)
            retries += 1
            log.info("Retrying failed stop operation [%s]", ref.text)
            result = await self.run(ref, Action.STOP)
            run.steps.append(_step(result))
        if result.ok:
            return True
        if await self._status_step(ref, run):
            log.critical("Resource STOP failure: %s is still running", ref.text)
            run.still_running.append(ref.text)
            if self.on_stop_failure is not None:
                self.on_stop_failure(ref.text)
            return False
        log.error("Resource script for %s probably not LSB-compliant.", ref.text)
        log.warning("it (%s) MUST succeed on a stop when already stopped", ref.text)
        return True


def _group_text(group: ResourceGroup) -> str:
    return " ".join([group.node, *(r.text for r in group.resources)])


def _step(result: ScriptResult, owned: bool | None = None) -> Step:
    inv: Invocation = result.invocation
    return Step(
        inv.label, inv.action, result.rc, result.started, result.finished, result.timed_out, owned
    )
