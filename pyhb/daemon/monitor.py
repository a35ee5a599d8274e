"""Resource monitoring: checks each monitored resource of the groups this node holds
every ``interval`` and reports failures to the engine (docs/monitoring.md).

One asyncio task per monitored resource, so one group's checks never wait for
another's, and none of them for the heartbeat path (checks are subprocesses, or the
built-in IP agents' own ``status``, awaited on the loop). A check runs the resource's
``status`` (Heartbeat's running/OK rule on its output) or the monitor's ``check=`` argv
(exit code 0 is healthy), killed at ``timeout`` (a timeout is a failure). A failure is
counted (``core.monitoring``) and becomes ``MonitorFailure``: restart in place while
the restarts within the window last, else hand the group over.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.config.monitors import MonitorSpec
from pyhb.core.engine import Engine
from pyhb.core.events import Command, MonitorFailure
from pyhb.core.monitoring import ResourceHealth
from pyhb.core.snapshot import MonitorView
from pyhb.resources.plan import Action, Invocation, Timeouts
from pyhb.resources.process import run_subprocess
from pyhb.resources.runner import ResourceRunner
from pyhb.resources.status import owned_from_status_output

log = logging.getLogger("pyhb.monitor")

OUTPUT_CHARS = 200  # of a check's output, in log lines and the view
FAILED_FILE = "pyhb-failed"  # in the state directory: groups that failed here, one a line


def plan_health(
    groups: Sequence[ResourceGroup], specs: Sequence[MonitorSpec]
) -> list[ResourceHealth]:
    """A record for each (group, resource) a monitor names, in haresources order."""
    by_resource = {s.resource: s for s in specs}
    return [
        ResourceHealth(g.key, i, by_resource[r.text])
        for g in groups
        for i, r in enumerate(g.resources)
        if r.text in by_resource
    ]


class Monitor:
    """The checks of one node. ``ready(key)``: the group is held here and running (not
    starting, stopping or restarting); ``failed(key)``: it failed here and is not taken
    back until cleared; ``submit`` hands a command to the engine (None: accepted)."""

    def __init__(
        self,
        runner: ResourceRunner,
        *,
        ready: Callable[[str], bool],
        failed: Callable[[str], bool],
        submit: Callable[[Command], str | None],
    ) -> None:
        self.runner = runner
        self._ready = ready
        self._failed = failed
        self._submit = submit
        self._groups: dict[str, ResourceGroup] = {}
        self._health: list[ResourceHealth] = []
        self._tasks: list[asyncio.Task[None]] = []

    def configure(self, groups: Sequence[ResourceGroup], specs: Sequence[MonitorSpec]) -> None:
        """(Re)start the checks for ``specs``; an unchanged monitor keeps its counts."""

        def same(h: ResourceHealth) -> tuple[str, int, MonitorSpec]:
            return h.group, h.index, dataclasses.replace(h.spec, line=0)  # moved lines: same

        old = {same(h): h for h in self._health}
        self._stop_tasks()
        self._groups = {g.key: g for g in groups}
        self._health = [old.get(same(h), h) for h in plan_health(groups, specs)]
        for h in self._health:
            self._tasks.append(asyncio.create_task(self._watch(h), name=f"monitor {h.spec}"))
        if self._health:
            names = ", ".join(f"{h.spec.resource} every {h.spec.interval:g}s" for h in self._health)
            log.info("Monitoring %s", names)

    def _stop_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    async def close(self) -> None:
        tasks = self._tasks
        self._stop_tasks()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def clear(self, key: str | None) -> None:
        """``pyhb cleanup [GROUP]``: forget the failures and restarts counted."""
        for h in self._health:
            if key is None or h.group == key:
                h.clear()

    def lookup(self, key: str, ref: ResourceRef) -> MonitorView | None:
        """The monitor state of resource ``ref`` of group ``key``, None when it is not
        monitored (the status document's and the metrics' accessor)."""
        for h in self._health:
            if h.group == key and h.spec.resource == ref.text:
                return h.view(time.monotonic(), failed=self._failed(h.group))
        return None

    # -- the checks ----------------------------------------------------------------------

    async def _watch(self, h: ResourceHealth) -> None:
        while True:
            await asyncio.sleep(h.spec.interval)
            if not self._ready(h.group):
                continue
            try:
                result, output = await self.check(h)
            except Exception:
                log.exception("Monitor of %s: the check could not be run", h.spec.resource)
                result, output = "failed", "the check could not be run"
            if not self._ready(h.group):
                continue  # the group moved or began to stop meanwhile: not its failure
            h.checked(result, output, time.time())
            if result != "ok":
                self._failure(h, result, output)

    async def check(self, h: ResourceHealth) -> tuple[str, str]:
        """Run one check: (``ok``/``failed``/``timeout``, the end of its output)."""
        spec = h.spec
        if spec.check is not None:
            inv = Invocation(spec.check, spec.timeout, spec.resource, Action.STATUS)
            res = await run_subprocess(inv, self.runner.env, grace=1.0)
            healthy = res.ok
        else:
            ref = self._groups[h.group].resources[h.index]
            res = await self.runner.run(ref, Action.STATUS, Timeouts(status=spec.timeout))
            healthy = not res.timed_out and owned_from_status_output(res.stdout)
        output = " ".join(res.output_tail.split())[-OUTPUT_CHARS:]
        if res.timed_out:
            return "timeout", f"killed after {spec.timeout:g}s"
        return ("ok" if healthy else "failed"), output

    def _failure(self, h: ResourceHealth, result: str, output: str) -> None:
        move = h.failure(time.monotonic())
        spec = h.spec
        what = "timed out" if result == "timeout" else "failed"
        reason = f"monitor of {spec.resource} ({h.check_text}) {what}: {output or 'no output'}"
        action = (
            "handing the group over"
            if move
            else f"restart {h.restarts + 1} of {spec.restarts} within {spec.window:g}s"
        )
        log.error("%s; %s", reason, action)
        refusal = self._submit(MonitorFailure(h.group, h.index, move, reason))
        if refusal is not None:
            log.warning("Monitor of %s: nothing done (%s)", spec.resource, refusal)
        elif not move:
            h.restarts += 1


def attach(
    engine: Engine, runner: ResourceRunner, submit: Callable[[Command], str | None]
) -> Monitor:
    """A monitor reading ``engine``'s ownership state; ``submit`` reaches the engine."""
    own = engine.ownership

    def ready(key: str) -> bool:
        return key in own.held and own.state.get(key) == "running"

    return Monitor(runner, ready=ready, failed=own.banned.__contains__, submit=submit)


def load_failed(statedir: Path, groups: Sequence[ResourceGroup]) -> set[str]:
    """The groups that failed here before pyhb (or the host) restarted: still not taken
    back until cleared. Keys no longer in haresources are dropped."""
    path = statedir / FAILED_FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return set()
    except OSError as exc:
        log.error("Cannot read %s: %s (no group is held back)", path, exc)
        return set()
    keys = {line.strip() for line in text.splitlines() if line.strip()}
    keys &= {g.key for g in groups}
    if keys:
        log.warning(
            "Resource group %s failed on this node before: not taken until an operator "
            "clears it (pyhb cleanup)",
            ", ".join(sorted(keys)),
        )
    return keys


def save_failed(statedir: Path, keys: Collection[str]) -> None:
    """Write the groups that failed here (an empty set removes the file)."""
    path = statedir / FAILED_FILE
    try:
        if not keys:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_name(f".{FAILED_FILE}.{os.getpid()}")
        tmp.write_text("".join(f"{k}\n" for k in sorted(keys)), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.error("Cannot write %s: %s (a restart would forget these failures)", path, exc)
