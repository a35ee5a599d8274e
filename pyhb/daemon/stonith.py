"""Resetting a dead peer with cluster-glue's ``stonith`` command before taking over.

Each device this node may use (``config.fencing``: the ``stonith`` lines and the
``stonith_host`` lines naming this node or ``*``, in file order) is tried in turn:

    stonith -t TYPE -F CONFIGFILE -T reset HOST         (stonith TYPE CONFIGFILE)
    stonith -t TYPE -p "PARAMS..." -T reset HOST        (stonith_host H TYPE PARAMS...)

The first that exits 0 has reset the host. When none did, heartbeat 3.0.6 logs
``STONITH of HOST failed.  Retrying...`` and tries again; so does pyhb, ``RETRY_DELAY``
seconds apart, for as long as the engine still wants the reset (the peer was not heard
from again): the takeover waits, since taking the peer's groups while it may still run
them is what STONITH exists to prevent. Each run is bounded by ``RESET_TIMEOUT``; a run
still going then has its process group killed.

``PYHB_STONITH`` names the command instead of ``/usr/sbin/stonith`` (tests, sites with
it elsewhere); ``preflight`` refuses to start when the command cannot be run. See
docs/operations.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pyhb.config.fencing import StonithDevice

log = logging.getLogger("pyhb")

STONITH_ENV = "PYHB_STONITH"
DEFAULT_STONITH = "/usr/sbin/stonith"
RESET_TIMEOUT = 120.0
RETRY_DELAY = 5.0


def stonith_binary(environ: Mapping[str, str]) -> str:
    """The stonith command: ``PYHB_STONITH`` or cluster-glue's ``/usr/sbin/stonith``."""
    return environ.get(STONITH_ENV, "").strip() or DEFAULT_STONITH


def reset_argv(binary: str, device: StonithDevice, host: str) -> list[str]:
    """The command line that resets ``host`` with ``device``."""
    if device.config_file is not None:
        config = ["-F", device.config_file]
    else:
        config = ["-p", " ".join(device.params)]
    return [binary, "-t", device.type, *config, "-T", "reset", host]


def _shown(argv: Sequence[str]) -> str:
    """The command for the log, without the ``-p`` parameters (they often hold passwords)."""
    return shlex.join(["..." if i and argv[i - 1] == "-p" else w for i, w in enumerate(argv)])


@dataclass
class Stonith:
    """Resets hosts with the devices of one node."""

    devices: tuple[StonithDevice, ...]
    binary: str = DEFAULT_STONITH
    timeout: float = RESET_TIMEOUT
    retry_delay: float = RETRY_DELAY

    async def reset_once(self, host: str) -> bool:
        """Try each device once, in order; True when one reset ``host``."""
        for device in self.devices:
            argv = reset_argv(self.binary, device, host)
            log.info("Resetting node %s with [%s]", host, device.type)
            rc, output = await self._run(argv)
            if rc == 0:
                return True
            why = "timed out" if rc is None else f"exit code {rc}"
            tail = " ".join(output.split())[-300:]
            log.error("Host %s not reset!", host)
            log.error("%s: %s%s", _shown(argv), why, f": {tail}" if tail else "")
        return False

    async def reset(self, host: str, wanted: Callable[[], bool]) -> bool:
        """Reset ``host``, retrying while ``wanted()``; True once it was reset."""
        while wanted():
            if await self.reset_once(host):
                return True
            if not wanted():
                break
            log.error("STONITH of %s failed.  Retrying...", host)
            await asyncio.sleep(self.retry_delay)
        log.info("Reset of %s no longer wanted (it was heard from again)", host)
        return False

    async def _run(self, argv: list[str]) -> tuple[int | None, str]:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return 127, f"cannot run {argv[0]}: {exc.strerror}"
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), self.timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            return None, ""
        return proc.returncode, out.decode(errors="replace")
