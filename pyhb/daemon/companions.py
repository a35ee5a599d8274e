"""What runs beside the engine once the node is up: the respawn clients and the ICMP
echo of the ping nodes (docs/pingnodes.md).

Clients start once communication is up, as 3.0.6 starts them (once); at exit, after the
resources were released, the pinger is closed and the clients are stopped. A ping socket
that cannot be opened is logged and the cluster runs on (the ping nodes go dead).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pyhb.config.model import HaConfig
from pyhb.daemon.respawn import Supervisor, client_environment
from pyhb.net.icmp import Pinger

log = logging.getLogger("pyhb")


@dataclass(slots=True)
class Companions:
    """The respawn clients' supervisor and the ping nodes' pinger (when there are any)."""

    clients: Supervisor
    pinger: Pinger | None = None

    @classmethod
    def start(
        cls,
        ha: HaConfig,
        script_env: Mapping[str, str],
        pings: Mapping[str, tuple[str, ...]],
        on_reply: Callable[[str], None],
        *,
        comm_up: bool,
    ) -> Companions:
        """Start pinging ``pings`` (name -> addresses), and the clients if ``comm_up``."""
        done = cls(Supervisor(ha.respawn, client_environment(script_env, ha)))
        if comm_up:
            done.clients.start()
        if pings:
            done.pinger = Pinger(pings, ha.keepalive / 1000, on_reply)
            try:
                done.pinger.start()
            except OSError as exc:  # the ping nodes go dead; the cluster runs on
                log.error("Cannot open an ICMP socket for the ping nodes: %s", exc)
        return done

    async def stop(self) -> None:
        if self.pinger is not None:
            self.pinger.close()
        await self.clients.stop()
