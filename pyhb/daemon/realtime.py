"""Real-time scheduling and locked memory, so a loaded machine cannot starve the heartbeat.

As Heartbeat 3.0.6 with ``realtime on`` (its default): the daemon runs SCHED_FIFO at
``rtprio`` (default the middle of the range) and locks its memory. Differences:

* ``SCHED_RESET_ON_FORK``: resource scripts and every other child start as ordinary
  processes (3.0.6 resets them by hand in each child).
* Memory is locked with ``MCL_ONFAULT`` where the kernel has it, so pages are locked as
  they are used instead of every mapping (thread stacks, arenas) being filled at once.
* ``mlockall(MCL_FUTURE)`` makes every later allocation fail once the locked total
  reaches ``RLIMIT_MEMLOCK``. The limit is raised to unlimited first (root may); if it
  cannot be, memory is not locked at all rather than risking a failed allocation.

Every step that is not allowed here (no CAP_SYS_NICE in a container, a low memlock limit)
is skipped with a log line saying what and why; the daemon runs on. ``heartbeat -l`` and
``realtime off`` skip all of it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import resource

log = logging.getLogger(__name__)

MCL_CURRENT = 1
MCL_FUTURE = 2
MCL_ONFAULT = 4


def default_priority() -> int:
    """The middle of the SCHED_FIFO range, as 3.0.6 picks."""
    low = os.sched_get_priority_min(os.SCHED_FIFO)
    high = os.sched_get_priority_max(os.SCHED_FIFO)
    return (low + high) // 2


def make_realtime(rtprio: int | None = None) -> list[str]:
    """Switch this process to SCHED_FIFO and lock its memory; returns what was done."""
    done: list[str] = []
    prio = rtprio if rtprio is not None else default_priority()
    try:
        policy = os.SCHED_FIFO | os.SCHED_RESET_ON_FORK
        os.sched_setscheduler(0, policy, os.sched_param(prio))
    except OSError as exc:
        log.warning("Cannot use real-time scheduling (SCHED_FIFO %d): %s", prio, exc.strerror)
    else:
        log.info("Real-time scheduling: SCHED_FIFO priority %d (children run normally)", prio)
        done.append(f"SCHED_FIFO {prio}")
    if _lock_memory():
        done.append("memory locked")
    return done


def _lock_memory() -> bool:
    unlimited = resource.RLIM_INFINITY
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
        if soft != unlimited:
            resource.setrlimit(resource.RLIMIT_MEMLOCK, (unlimited, unlimited))
    except (OSError, ValueError) as exc:
        log.warning(
            "Memory not locked: the locked-memory limit is %s bytes and cannot be raised (%s)",
            soft if soft != unlimited else "unlimited", exc,
        )  # fmt: skip
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    for flags in (MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT, MCL_CURRENT | MCL_FUTURE):
        if libc.mlockall(flags) == 0:
            log.info("Memory locked (mlockall%s)", " on fault" if flags & MCL_ONFAULT else "")
            return True
        err = ctypes.get_errno()
        if err != 22:  # EINVAL: no MCL_ONFAULT on this kernel, try without it
            break
    log.warning("Memory not locked: mlockall failed: %s", os.strerror(err))
    return False
