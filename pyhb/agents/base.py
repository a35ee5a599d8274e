"""What every built-in agent shares: its result, its calling convention and its exit codes.

A built-in agent is called like a heartbeat resource script, arguments first and the action
last, either in-process by the daemon (``await agent.run(args, action)``) or from its
``resource.d`` executable. Status text follows heartbeat's v1 wrappers (``hto-mapfuncs``
``ra_execocf``, whose ``$rsc_type`` is empty, hence the two blanks), so that the
ResourceManager rule ("not running" → stopped, "running"/"OK" → owned) reads it right.

Owns: ``AgentResult``, the ``InProcessAgent`` protocol, exit codes and status wording.
Must not import anything from pyhb outside ``pyhb.agents``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# LSB exit codes; heartbeat ignores the status exit code and reads the text.
RC_OK = 0
RC_GENERIC = 1
RC_ARGS = 2
RC_NOT_RUNNING = 3

ACTIONS = frozenset({"start", "stop", "status", "monitor"})

TEXT_SUCCESS = "INFO:  Success"
TEXT_RUNNING = "INFO:  Running OK"
TEXT_STOPPED = "INFO:  Resource is stopped"
TEXT_GENERIC = "ERROR:  Generic error"
TEXT_ARGS = "ERROR:  Illegal argument"

DEFAULT_RUNDIR = Path("/run/resource-agents")


class UsageError(ValueError):
    """The agent's arguments are malformed (the configuration is wrong, not the system)."""


@dataclass(frozen=True, slots=True)
class AgentResult:
    """What a resource script would have produced: exit code and standard output text."""

    rc: int
    output: str


class InProcessAgent(Protocol):
    """A resource agent the daemon runs without a fork."""

    async def run(self, args: tuple[str, ...], action: str) -> AgentResult: ...


def rundir_from_env(environ: dict[str, str] | None = None) -> Path:
    """The state directory heartbeat's agents use (``HA_RSCTMP``), read when called."""
    env = os.environ if environ is None else environ
    return Path(env.get("HA_RSCTMP") or DEFAULT_RUNDIR)


def failure(rc: int, text: str, *details: str) -> AgentResult:
    """A failed result whose output lists the details then heartbeat's summary line."""
    return AgentResult(rc, "\n".join([*details, text]) + "\n")


def usage_failure(usage: str) -> AgentResult:
    """Called the wrong way (argument count or action): the usage line, exit 1."""
    return failure(RC_GENERIC, usage)


def argument_failure(detail: str) -> AgentResult:
    """The argument is wrong: ``ERROR: DETAIL`` then heartbeat's Illegal argument, exit 2."""
    return failure(RC_ARGS, TEXT_ARGS, f"ERROR: {detail}")


def generic_failure(detail: str) -> AgentResult:
    """The action failed: ``ERROR: DETAIL`` then heartbeat's Generic error, exit 1."""
    return failure(RC_GENERIC, TEXT_GENERIC, f"ERROR: {detail}")


def success(*details: str) -> AgentResult:
    """A successful start/stop result."""
    return AgentResult(RC_OK, "\n".join([*details, TEXT_SUCCESS]) + "\n")


def status_result(running: bool) -> AgentResult:
    """``INFO:  Running OK`` (0) or ``INFO:  Resource is stopped`` (3)."""
    if running:
        return AgentResult(RC_OK, TEXT_RUNNING + "\n")
    return AgentResult(RC_NOT_RUNNING, TEXT_STOPPED + "\n")
