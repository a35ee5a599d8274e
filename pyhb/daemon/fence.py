"""Fencing ourselves when a resource will not stop, as heartbeat 3.0.6 does.

A resource whose stop keeps failing (after ``HA_STOPRETRYMAX`` retries) while its status
says it still runs leaves the node in a state nobody can repair from the outside: the
peer must not start it (it may still write to shared data here), and this node cannot
give it up. Heartbeat's ResourceManager (``RecoverFromFailedStop``) logs
``Resource STOP failure. Reboot required!`` and ``Killing heartbeat ungracefully!``,
kills heartbeat with SIGKILL and runs ``/sbin/reboot -nf`` (else ``/sbin/init 6``, else
``Unable to force reboot.``). The peer hears nothing more, declares this node dead after
deadtime and takes the group over, while the reboot has stopped everything here.

pyhb does the same: the reboot command is started in its own session (so it outlives
the daemon), the log is written out (at most ``LOG_WAIT`` seconds), and the daemon kills
itself with SIGKILL. It never returns, so a graceful stop (``heartbeat -k``) that hits a
stop failure ends in bounded time: the stop retries, then the reboot. An armed watchdog
is left armed (no magic close), so a reboot command that fails is backed by it.

``PYHB_REBOOT_COMMAND`` replaces the reboot command (split as a shell would, no shell
run; on blanks if it does not split so), for tests and for sites that reboot another way;
see docs/operations.md.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyhb.daemon import logsetup

log = logging.getLogger("pyhb")

REBOOT_ENV = "PYHB_REBOOT_COMMAND"
REBOOT = ("/sbin/reboot", "-nf")
INIT_6 = ("/sbin/init", "6")
LOG_WAIT = 1.0  # seconds the log destinations get to take the last lines


def reboot_command(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The command that reboots this node: ``PYHB_REBOOT_COMMAND`` if set, else
    ``/sbin/reboot -nf``, else ``/sbin/init 6`` (the order of 3.0.6's ResourceManager)."""
    raw = environ.get(REBOOT_ENV, "").strip()
    if raw:
        try:
            return tuple(shlex.split(raw))
        except ValueError as exc:  # an unbalanced quote: the words as written, logged
            log.error("%s=%r: %s; split on blanks instead", REBOOT_ENV, raw, exc)
            return tuple(raw.split())
    if os.access(REBOOT[0], os.X_OK) or not os.access(INIT_6[0], os.X_OK):
        return REBOOT
    return INIT_6


def _die() -> None:  # pragma: no cover - the process ends here
    os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class SelfFence:
    """Reboots this node and kills the daemon; ``die`` is replaced only in unit tests."""

    command: Sequence[str] = REBOOT
    die: Callable[[], None] = field(default=_die)
    done: bool = False
    process: subprocess.Popen[bytes] | None = None  # the reboot command, once started

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SelfFence:
        return cls(reboot_command(environ))

    def stop_failed(self, resource: str) -> None:
        """``resource`` still runs after its stop failed: reboot, and end the daemon now."""
        if self.done:
            return
        self.done = True
        log.critical("Resource STOP failure. Reboot required!")
        log.critical(
            "Resource %s could not be stopped: rebooting with %s",
            resource,
            shlex.join(self.command),
        )
        log.critical("Killing heartbeat ungracefully!")
        try:
            self.process = subprocess.Popen(
                list(self.command),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
                cwd=Path("/"),
            )
        except OSError as exc:
            log.critical("Unable to force reboot. (%s: %s)", shlex.join(self.command), exc)
        logsetup.shutdown(wait=LOG_WAIT)
        self.die()
