"""Pure planning of resource-script invocations: which scripts, which argv, in which order.

Heartbeat's convention (docs/architecture.md#invocation): ``SCRIPT ARG1 ARG2 ... ACTION`` —
arguments first, the action last, each ``::``-separated argument one argv element (never a
shell). ``in_order`` is the one order rule: a group's resources, the groups of one
operation and the undo list of a failed start all run in the listed order to start (and
check status) and in reverse to stop.

Default timeouts (heartbeat has none; these are keepalived-style safety nets, overridable per
``Timeouts``): start and stop 60 s — long enough for a slow init script or fsck-less mount;
status 20 s — status is run before every start and must not stall a takeover for long.

Imports ``pyhb.config.model`` and the stdlib only; does no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pyhb.config.model import ResourceGroup, ResourceRef

DEFAULT_START_TIMEOUT = 60.0
DEFAULT_STOP_TIMEOUT = 60.0
DEFAULT_STATUS_TIMEOUT = 20.0

_T = TypeVar("_T")


class Action(enum.StrEnum):
    """What a resource script is asked to do: the last word of its argv."""

    START = "start"
    STOP = "stop"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds each action may take before its process group is killed."""

    start: float = DEFAULT_START_TIMEOUT
    stop: float = DEFAULT_STOP_TIMEOUT
    status: float = DEFAULT_STATUS_TIMEOUT

    def for_action(self, action: Action) -> float:
        """The timeout of ``action``."""
        match action:
            case Action.START:
                return self.start
            case Action.STOP:
                return self.stop
            case Action.STATUS:
                return self.status


@dataclass(frozen=True, slots=True)
class Invocation:
    """One script run: the exact argv, its timeout, and the resource as written (``label``)."""

    argv: tuple[str, ...]
    timeout: float
    label: str
    action: Action

    @property
    def command_text(self) -> str:
        """The command as heartbeat logs it: ``PATH ARGS ACTION`` (two blanks with no args)."""
        return f"{self.argv[0]} {' '.join(self.argv[1:-1])} {self.argv[-1]}"


def in_order(items: Sequence[_T], action: Action) -> tuple[_T, ...]:
    """``items`` (resources or groups, as listed) in the order ``action`` runs over them:
    as listed, and reversed for stop."""
    if action is Action.STOP:
        return tuple(reversed(items))
    return tuple(items)


def ordered(group: ResourceGroup, action: Action) -> tuple[ResourceRef, ...]:
    """The group's resources in the order ``action`` runs them (stop: reversed)."""
    return in_order(group.resources, action)


def build_invocation(
    path: str, ref: ResourceRef, action: Action, timeouts: Timeouts | None = None
) -> Invocation:
    """``path ARG1 ... ACTION`` for one resource."""
    t = timeouts or Timeouts()
    return Invocation((path, *ref.args, action.value), t.for_action(action), ref.text, action)


def plan_group(
    group: ResourceGroup,
    action: Action,
    path_for: Callable[[ResourceRef], str],
    timeouts: Timeouts | None = None,
) -> tuple[Invocation, ...]:
    """Every invocation of ``action`` over ``group``, in heartbeat's order."""
    return tuple(
        build_invocation(path_for(ref), ref, action, timeouts) for ref in ordered(group, action)
    )
