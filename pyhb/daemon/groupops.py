"""Running the engine's resource operations (``RunGroups``) with the resource runner.

A take starts the groups as listed, a give stops them in ``resources.plan``'s order (the
last-listed first), skipping, when the engine asks for it (``only_running``), a group
none of whose resources runs here. A restart (a failed check, docs/monitoring.md) stops
then starts each group; an announce re-sends the gratuitous ARPs of the addresses held.
Each take and give is counted (``daemon.counters``). An exception is logged here, at the
task boundary, and fails every group of the operation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pyhb.config.model import ResourceGroup
from pyhb.core.events import GroupAction, RunGroups
from pyhb.daemon.counters import Counters
from pyhb.resources.plan import Action, in_order
from pyhb.resources.runner import ResourceRunner

log = logging.getLogger("pyhb")


async def run_groups(runner: ResourceRunner, counters: Counters, ev: RunGroups) -> list[str]:
    """Run ``ev``; the keys of the groups that failed (none for an announce)."""
    try:
        match ev.action:
            case GroupAction.ANNOUNCE:
                for group in ev.groups:
                    await runner.announce(group)
                return []
            case GroupAction.RESTART:
                return await restart_groups(runner, ev.groups)
            case GroupAction.TAKE | GroupAction.GIVE:
                return await _take_or_give(runner, counters, ev)
    except Exception:
        log.exception("resource operation %s (%s) failed", ev.action, ev.reason)
        return [g.key for g in ev.groups]


async def restart_groups(runner: ResourceRunner, groups: Sequence[ResourceGroup]) -> list[str]:
    """A ``RESTART`` effect: each (partial) group stopped right to left, then started left
    to right; the keys of those that did not come back."""
    failed = []
    for group in groups:
        if not (await runner.give_group(group)).ok or not (await runner.take_group(group)).ok:
            failed.append(group.key)
    return failed


async def _take_or_give(runner: ResourceRunner, counters: Counters, ev: RunGroups) -> list[str]:
    failed: list[str] = []
    take = ev.action is GroupAction.TAKE
    for group in in_order(ev.groups, Action.START if take else Action.STOP):
        if take:
            outcome = await runner.take_group(group)
        else:
            if ev.only_running and not await _any_running(runner, group):
                continue
            outcome = await runner.give_group(group)
        counters.group_done(ev.reason, outcome)
        if not outcome.ok:
            failed.append(group.key)
    return failed


async def _any_running(runner: ResourceRunner, group: ResourceGroup) -> bool:
    for ref in group.resources:
        if await runner.is_owned(ref):
            return True
    return False
