"""The registry of the resource agents pyhb knows by name, and what each of them is.

Every other module asks here instead of writing an agent's name itself:

- ``BUILTIN``: run in-process by the daemon (``agents.registry`` builds them);
- ``ADDRESS_AGENTS``: add a service address, and so can re-announce it with gratuitous
  ARP (``resources.runner``) and export as ``ocf:heartbeat:IPaddr2`` (``export.agents``);
- ``CHECKED``: their arguments are checked by ``pyhb check`` (``agents.args``);
- ``SHORTHAND``: the agent a bare IPv4 address in haresources stands for.

Imports nothing, so the quick command paths, the configuration checks and the export
can ask without loading pyroute2.
"""

from __future__ import annotations

from typing import Final

IPADDR: Final = "IPaddr"
IPADDR2: Final = "IPaddr2"
SENDARP: Final = "SendArp"
FILESYSTEM: Final = "Filesystem"
DRBDDISK: Final = "drbddisk"
DELAY: Final = "Delay"

ADDRESS_AGENTS: Final = (IPADDR, IPADDR2)
BUILTIN: Final = (*ADDRESS_AGENTS, SENDARP)
CHECKED: Final = (*ADDRESS_AGENTS, FILESYSTEM, DRBDDISK, DELAY)
SHORTHAND: Final = IPADDR


def is_address_agent(name: str) -> bool:
    """Whether resource ``name`` adds a service address (IPaddr, IPaddr2)."""
    return name in ADDRESS_AGENTS
