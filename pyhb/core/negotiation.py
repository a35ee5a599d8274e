"""The states of one node's resource negotiation, and the tables of their legal moves.

Rules (docs/ownership.md#negotiation-states):
- ``Phase`` is where the node stands in the negotiation; ``StandbyState`` where it stands
  in a standby hand-over (``core.standby``). Each has a table below: the table is the
  truth, the code only asks it.
- A state changes in one place, ``Machine.move``: the move must be in the table, or it is
  a bug in the core and raises ``IllegalTransition`` (tests catch it; nothing retries).
  Every move is logged at debug level as ``OLD -> NEW (why)``; staying put is no move.
- INIT until communication is up; then STARTING (``auto_failback`` on/off: the initial
  split is negotiated with ``starting``/``resource``) or STABLE at once (``legacy``, which
  has no statements, or a node alone once its groups are taken).
- RESUMING: the process was frozen past deadtime while holding groups; its claims may be
  stale until the peer's fresh statement (or ``RESUME_WAIT``) settles them.
- Shutdown: SHUTDOWN_PENDING while a group operation finishes, SHUTTING_DOWN while every
  group is released, SHUT_DOWN once ``shutdone`` is sent. A release that fails cancels
  the shutdown: back to where it began (STABLE, or RESUMING).

Imports stdlib only.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from typing import Generic, TypeVar

log = logging.getLogger(__name__)


class Phase(enum.Enum):
    INIT = "init"  # communication not up yet
    STARTING = "starting"  # negotiating the initial split with the peer
    STABLE = "stable"
    RESUMING = "resuming"  # frozen past deadtime: our claims may be stale
    SHUTDOWN_PENDING = "shutdown pending"  # asked to shut down; an operation finishes first
    SHUTTING_DOWN = "shutting down"  # releasing every group
    SHUT_DOWN = "shut down"  # released; ``shutdone`` sent


# A node with nothing to release (communication not up, or no groups) is shut down at once.
_LEAVE = frozenset({Phase.SHUTDOWN_PENDING, Phase.SHUTTING_DOWN, Phase.SHUT_DOWN})

TRANSITIONS: Mapping[Phase, frozenset[Phase]] = {
    Phase.INIT: frozenset({Phase.STARTING, Phase.STABLE, Phase.SHUT_DOWN}),
    Phase.STARTING: frozenset({Phase.STABLE}) | _LEAVE,
    Phase.STABLE: frozenset({Phase.RESUMING}) | _LEAVE,
    Phase.RESUMING: frozenset({Phase.STABLE}) | _LEAVE,
    Phase.SHUTDOWN_PENDING: frozenset({Phase.SHUTTING_DOWN}),
    Phase.SHUTTING_DOWN: frozenset({Phase.SHUT_DOWN, Phase.STABLE, Phase.RESUMING}),
    Phase.SHUT_DOWN: frozenset(),
}


class StandbyState(enum.Enum):
    NOT = "not"
    ME = "me"  # we asked to give up a set
    OTHER = "other"  # the peer asked; we agreed to take its set
    DONE = "done"  # we released our set and wait for the peer to finish


# Every hand-over can be called off (timeout, the peer lost, shutdown): back to NOT.
STANDBY_TRANSITIONS: Mapping[StandbyState, frozenset[StandbyState]] = {
    StandbyState.NOT: frozenset({StandbyState.ME, StandbyState.OTHER}),
    StandbyState.ME: frozenset({StandbyState.DONE, StandbyState.NOT}),
    StandbyState.OTHER: frozenset({StandbyState.NOT}),
    StandbyState.DONE: frozenset({StandbyState.NOT}),
}


class IllegalTransition(RuntimeError):
    """A move the table does not allow: a bug in the core."""


S = TypeVar("S", bound=enum.Enum)


class Machine(Generic[S]):
    """One state and the table that says where it may go."""

    def __init__(self, name: str, initial: S, table: Mapping[S, frozenset[S]]) -> None:
        self.name = name
        self.state = initial
        self._table = table

    def move(self, new: S, why: str) -> None:
        old = self.state
        if new is old:
            return
        if new not in self._table[old]:
            raise IllegalTransition(f"{self.name}: {old.name} -> {new.name} ({why})")
        log.debug("%s: %s -> %s (%s)", self.name, old.name, new.name, why)
        self.state = new
