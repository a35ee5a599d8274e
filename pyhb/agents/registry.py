"""The in-process agent registry: resource names the daemon runs without forking.

Everything these agents need (pyroute2) is imported when this module is imported,
and ``build_registry`` opens nothing until first use except what ``prepare`` asks for, so
a takeover pays for neither imports nor process start-up.

Must not import anything from pyhb outside ``pyhb.agents``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyhb.agents.args import parse_ipaddr_arg
from pyhb.agents.arp import GarpPlan, GarpSender
from pyhb.agents.base import InProcessAgent, UsageError
from pyhb.agents.ipaddr import IpAddrAgent, Netlink
from pyhb.agents.names import ADDRESS_AGENTS, SENDARP, is_address_agent
from pyhb.agents.sendarp import SendArpAgent


@dataclass(slots=True)
class AgentRegistry:
    """The built-in agents by resource name, with the handles they share."""

    agents: dict[str, InProcessAgent]
    garp: GarpSender
    netlink: Netlink

    def get(self, name: str) -> InProcessAgent | None:
        """The in-process agent for resource ``name``, if there is one."""
        return self.agents.get(name)

    def prepare(self, resources: Iterable[tuple[str, tuple[str, ...]]]) -> list[str]:
        """Open the ARP sockets of every interface named in these (name, args) resources.

        Returns the interfaces prepared; malformed or interface-less arguments are skipped
        (their start will report the problem).
        """
        done: list[str] = []
        for name, args in resources:
            nic: str | None = None
            if is_address_agent(name) and len(args) == 1:
                try:
                    nic = parse_ipaddr_arg(args[0]).nic
                except UsageError:
                    nic = None
            elif name == SENDARP and len(args) == 1:
                nic = args[0].partition("/")[2] or None
            if nic and nic not in done:
                try:
                    self.garp.prepare(nic)
                except (OSError, ValueError):  # an unknown interface
                    continue
                done.append(nic)
        return done

    async def announce(self, name: str, args: tuple[str, ...]) -> bool:
        """Re-send gratuitous ARPs for resource ``name`` ``args`` if it is an address held here."""
        agent = self.agents.get(name)
        if isinstance(agent, IpAddrAgent):
            return await agent.announce(args)
        return False

    def close(self) -> None:
        """Cancel ARP trains, close sockets and the netlink handle."""
        self.garp.close()
        self.netlink.close()


def build_registry(rundir: Path, plan: GarpPlan | None = None) -> AgentRegistry:
    """The built-in agents (``agents.names.BUILTIN``: the address agents and SendArp)
    sharing one netlink handle and one ARP sender."""
    garp = GarpSender(plan)
    netlink = Netlink()
    agents: dict[str, InProcessAgent] = {
        name: IpAddrAgent(name, netlink, garp, rundir=rundir) for name in ADDRESS_AGENTS
    }
    agents[SENDARP] = SendArpAgent(garp, rundir=rundir)
    return AgentRegistry(agents, garp, netlink)
