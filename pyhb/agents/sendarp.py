"""The SendArp agent: announce an address with gratuitous ARP without configuring it.

Argument (heartbeat's v1 wrapper ``resource.d/SendArp``): ``IP/NIC``. start sends the
ARP train (first frame before returning), stop cancels it, status reports whether the
resource was started (a state file ``SendArp-IP`` in the run directory, like the OCF
agent's pseudo-resource file).

Must not import anything from pyhb outside ``pyhb.agents``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from pathlib import Path

from pyhb.agents import arp
from pyhb.agents.base import (
    ACTIONS,
    AgentResult,
    argument_failure,
    generic_failure,
    status_result,
    success,
    usage_failure,
)

log = logging.getLogger(__name__)


class SendArpAgent:
    """SendArp for one process, sharing the GARP sender with IPaddr."""

    def __init__(
        self, garp: arp.GarpSender, *, rundir: Path, train_mode: arp.TrainMode = "task"
    ) -> None:
        self.garp = garp
        self.rundir = rundir
        self.train_mode = train_mode

    def _statefile(self, ip: str) -> Path:
        return self.rundir / f"SendArp-{ip}"

    async def run(self, args: tuple[str, ...], action: str) -> AgentResult:
        """Run ``ACTION`` for ``IP/NIC``."""
        if len(args) != 1 or action not in ACTIONS:
            return usage_failure("usage: SendArp ip-address/interface (start|stop|status)")
        ip, _, nic = args[0].partition("/")
        try:
            ip = str(ipaddress.IPv4Address(ip))
        except ValueError:
            return argument_failure(f"invalid IP address {ip!r}")
        if not nic:
            return argument_failure("an interface is required (IP/NIC)")
        try:
            if action in ("start", "stop"):
                return self._start(ip, nic) if action == "start" else self._stop(ip)
        except OSError as exc:
            log.error("SendArp %s %s failed: %s", args[0], action, exc)  # noqa: TRY400 - expected, no traceback
            return generic_failure(str(exc))
        return status_result(self._statefile(ip).exists())

    def _start(self, ip: str, nic: str) -> AgentResult:
        self.rundir.mkdir(parents=True, exist_ok=True)
        self._statefile(ip).touch()
        arp.start_train(self.garp, self.train_mode, self.rundir, nic, ip, arp.interface_mac(nic))
        return success()

    def _stop(self, ip: str) -> AgentResult:
        self.garp.cancel(ip)
        arp.kill_background_train(arp.pidfile_path(self.rundir, ip))
        with contextlib.suppress(FileNotFoundError):
            self._statefile(ip).unlink()
        return success()


def main(argv: list[str] | None = None) -> int:
    """``python3 -m pyhb.agents.sendarp IP/NIC ACTION``."""
    import sys  # noqa: PLC0415 - only the command line needs it

    args = sys.argv[1:] if argv is None else list(argv)
    return arp.run_as_script(
        args, lambda garp, rundir: SendArpAgent(garp, rundir=rundir, train_mode="fork")
    )


if __name__ == "__main__":
    raise SystemExit(main())
