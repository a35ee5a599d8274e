"""The IPaddr and IPaddr2 agents: add, remove and check a service address with pyroute2.

Argument syntax (heartbeat's v1 wrappers ``resource.d/IPaddr`` and ``IPaddr2``; see
docs/architecture.md#ipaddr-arguments), exactly one argument before the action::

    IP[/CIDR_OR_NETMASK[/NIC[/BROADCAST]]]
    IP/CIDR/BROADCAST          (a third part starting with a digit is the broadcast)

The argument itself is parsed by ``agents.args``, the rules ``pyhb check`` applies too.
Rules copied from the OCF agents the wrappers call:
- IPaddr labels the address ``NIC:N`` with the first free N (so ``ip addr`` and ``ifconfig``
  show ``eth0:0``); a NIC written ``eth0:1`` is reduced to ``eth0``. IPaddr2 labels the
  address only when the NIC is written ``NIC:LABEL``.
- A missing NIC or netmask is taken from the interface whose configured subnet contains the
  address (longest prefix wins), like ``findif``; a missing broadcast is the subnet's.
- start is idempotent (already present → success, no ARP), stop too (absent → success).
  start sends the gratuitous ARP train (``agents.arp``): the first frame before returning.

Must not import anything from pyhb outside ``pyhb.agents``.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError

from pyhb.agents import arp
from pyhb.agents.args import IFNAMSIZ, IpSpec, parse_ipaddr_arg
from pyhb.agents.base import (
    ACTIONS,
    RC_GENERIC,
    AgentResult,
    UsageError,
    argument_failure,
    generic_failure,
    status_result,
    success,
    usage_failure,
)
from pyhb.agents.names import IPADDR, is_address_agent

try:
    from pyroute2 import AsyncIPRoute
except ImportError:  # pyroute2 before 0.9 (Debian 12: 0.7.2) has only the synchronous API
    from pyhb.agents.netlink_sync import AsyncIPRoute

log = logging.getLogger(__name__)

MAX_ALIAS = 512  # IPaddr's find_free_interface gives up after :511
AF_INET = 2

Kind = str  # one of agents.names.ADDRESS_AGENTS


@dataclass(frozen=True, slots=True)
class AddrEntry:
    """One IPv4 address configured on the system."""

    index: int
    ifname: str
    address: str
    prefixlen: int
    label: str


@dataclass(frozen=True, slots=True)
class Link:
    index: int
    ifname: str
    mac: str


class Netlink:
    """A lazily opened rtnetlink handle bound to the running event loop (reopened if it changes)."""

    def __init__(self) -> None:
        self._ipr: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _handle(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._ipr is None or self._loop is not loop:
            self.close()
            ipr = AsyncIPRoute()
            await ipr.setup_endpoint()
            self._ipr, self._loop = ipr, loop
        return self._ipr

    async def links(self) -> dict[int, Link]:
        """Every interface by index."""
        ipr = await self._handle()
        out: dict[int, Link] = {}
        async for msg in await ipr.link("dump"):
            # get_attr with the full NLA name: pyroute2 0.7 has no short-name ``get``.
            out[msg["index"]] = Link(
                msg["index"],
                msg.get_attr("IFLA_IFNAME") or "",
                msg.get_attr("IFLA_ADDRESS") or "",
            )
        return out

    async def addresses(self, links: dict[int, Link]) -> list[AddrEntry]:
        """Every IPv4 address, with the name of its interface."""
        ipr = await self._handle()
        out: list[AddrEntry] = []
        async for msg in await ipr.addr("dump", family=AF_INET):
            link = links.get(msg["index"])
            out.append(
                AddrEntry(
                    msg["index"],
                    link.ifname if link else "",
                    msg.get_attr("IFA_ADDRESS") or "",
                    msg["prefixlen"],
                    msg.get_attr("IFA_LABEL") or "",
                )
            )
        return out

    async def add(
        self, index: int, ip: str, prefixlen: int, broadcast: str | None, label: str | None
    ) -> None:
        """Add ``ip/prefixlen`` to the interface ``index``."""
        ipr = await self._handle()
        extra: dict[str, str] = {}
        if broadcast:
            extra["broadcast"] = broadcast
        if label:
            extra["label"] = label
        await ipr.addr("add", index=index, address=ip, prefixlen=prefixlen, **extra)

    async def delete(self, index: int, ip: str, prefixlen: int) -> None:
        """Remove ``ip/prefixlen`` from the interface ``index``."""
        ipr = await self._handle()
        await ipr.addr("del", index=index, address=ip, prefixlen=prefixlen)

    def close(self) -> None:
        """Close the netlink socket (a later call opens a new one)."""
        if self._ipr is not None:
            self._ipr.close()
        self._ipr, self._loop = None, None


def find_subnet(entries: Sequence[AddrEntry], ip: str, nic: str | None) -> AddrEntry | None:
    """The configured address whose subnet contains ``ip`` (longest prefix; on ``nic`` if given)."""
    addr = ipaddress.IPv4Address(ip)
    best: AddrEntry | None = None
    for e in entries:
        if e.address == ip or (nic is not None and e.ifname != nic):
            continue
        if addr in ipaddress.IPv4Network(f"{e.address}/{e.prefixlen}", strict=False) and (
            best is None or e.prefixlen > best.prefixlen
        ):
            best = e
    return best


def free_alias_label(entries: Sequence[AddrEntry], nic: str) -> str | None:
    """``NIC:N`` with the smallest N not used as a label yet (None if it would be too long)."""
    used = {e.label for e in entries}
    for n in range(MAX_ALIAS):
        label = f"{nic}:{n}"
        if len(label) > IFNAMSIZ:
            return None
        if label not in used:
            return label
    return None


def subnet_broadcast(ip: str, prefixlen: int) -> str | None:
    """The directed broadcast address of ``ip/prefixlen`` (None for /31 and /32)."""
    if prefixlen >= 31:
        return None
    return str(ipaddress.IPv4Network(f"{ip}/{prefixlen}", strict=False).broadcast_address)


class IpAddrAgent:
    """IPaddr / IPaddr2 for one process: shares the netlink handle and the GARP sender."""

    def __init__(
        self,
        kind: Kind,
        netlink: Netlink,
        garp: arp.GarpSender,
        *,
        rundir: Path,
        train_mode: arp.TrainMode = "task",
    ) -> None:
        self.kind = kind
        self.netlink = netlink
        self.garp = garp
        self.rundir = rundir
        self.train_mode = train_mode

    async def run(self, args: tuple[str, ...], action: str) -> AgentResult:
        """Run ``ACTION`` for the single address argument, like the v1 wrapper does."""
        if len(args) != 1 or action not in ACTIONS:
            return usage_failure(
                f"usage: {self.kind} ip-address[/netmaskbits[/interface[:label][/broadcast]]]"
                " (start|stop|status|monitor)",
            )
        try:
            spec = parse_ipaddr_arg(args[0])
        except UsageError as exc:
            return argument_failure(str(exc))
        try:
            if action == "start":
                return await self.start(spec)
            if action == "stop":
                return await self.stop(spec)
            return await self.status(spec)
        except (NetlinkError, OSError) as exc:
            log.error("%s %s %s failed: %s", self.kind, args[0], action, exc)  # noqa: TRY400 - expected, no traceback
            return generic_failure(str(exc))

    async def _state(self) -> tuple[dict[int, Link], list[AddrEntry]]:
        links = await self.netlink.links()
        return links, await self.netlink.addresses(links)

    async def status(self, spec: IpSpec) -> AgentResult:
        """Running if the address is configured (on the configured NIC, when one is given)."""
        _, entries = await self._state()
        here = [e for e in entries if e.address == spec.ip]
        if not here:
            return status_result(False)
        if spec.nic is not None and all(e.ifname != spec.nic for e in here):
            # heartbeat's IPaddr: "running on an interface instead of the configured one"
            return generic_failure(f"{spec.ip} is on {here[0].ifname}, not {spec.nic}")
        return status_result(True)

    async def start(self, spec: IpSpec) -> AgentResult:
        """Add the address (unless present) and announce it with gratuitous ARP."""
        links, entries = await self._state()
        if any(e.address == spec.ip for e in entries):
            return success()
        nic, prefixlen = spec.nic, spec.prefixlen
        if nic is None or prefixlen is None:
            found = find_subnet(entries, spec.ip, nic)
            if found is None:
                return generic_failure(f"Unable to find nic or netmask for {spec.ip}")
            nic = nic or found.ifname
            prefixlen = found.prefixlen if prefixlen is None else prefixlen
        link = next((lk for lk in links.values() if lk.ifname == nic), None)
        if link is None:
            return generic_failure(f"no such interface {nic}")
        if self.kind == IPADDR:
            label = free_alias_label(entries, nic)
        else:
            label = f"{nic}:{spec.label}" if spec.label else None
            if label is not None and len(label) > IFNAMSIZ:
                return argument_failure(f"Interface label [{label}] exceeds 15 characters")
        broadcast = spec.broadcast or subnet_broadcast(spec.ip, prefixlen)
        try:
            await self.netlink.add(link.index, spec.ip, prefixlen, broadcast, label)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise
        detail = f"INFO: added {spec.ip}/{prefixlen} to {nic}" + (f" as {label}" if label else "")
        log.info("%s", detail[6:])
        self._announce(link, spec.ip)
        return success(detail)

    async def announce(self, args: tuple[str, ...]) -> bool:
        """Re-send the gratuitous ARP train for an address this node has configured.

        For when ownership was in doubt (a healed partition, a resumed process): the
        neighbours' caches may point at the other node. False when the address is not
        here (nothing is sent) or the argument is malformed.
        """
        if len(args) != 1:
            return False
        try:
            spec = parse_ipaddr_arg(args[0])
            links, entries = await self._state()
        except (UsageError, NetlinkError, OSError):
            return False
        entry = next((e for e in entries if e.address == spec.ip), None)
        link = links.get(entry.index) if entry is not None else None
        if link is None:
            return False
        log.info("Re-announcing %s on %s (gratuitous ARP)", spec.ip, link.ifname)
        self._announce(link, spec.ip)
        return True

    def _announce(self, link: Link, ip: str) -> None:
        if not link.mac or link.mac == "00:00:00:00:00:00":
            return  # loopback and friends: nothing to announce
        try:
            arp.start_train(self.garp, self.train_mode, self.rundir, link.ifname, ip, link.mac)
        except OSError as exc:
            # heartbeat's IPaddr: "Could not send gratuitous arps" is logged, start succeeds
            log.error("Could not send gratuitous arps for %s on %s: %s", ip, link.ifname, exc)  # noqa: TRY400 - expected, no traceback

    async def stop(self, spec: IpSpec) -> AgentResult:
        """Cancel any ARP train for the address and remove it from every interface."""
        self.garp.cancel(spec.ip)
        arp.kill_background_train(arp.pidfile_path(self.rundir, spec.ip))
        _, entries = await self._state()
        removed: list[str] = []
        for e in entries:
            if e.address != spec.ip:
                continue
            try:
                await self.netlink.delete(e.index, e.address, e.prefixlen)
            except NetlinkError as exc:
                if exc.code not in (errno.EADDRNOTAVAIL, errno.ENOENT, errno.ENODEV):
                    raise
            removed.append(f"INFO: removed {e.address}/{e.prefixlen} from {e.ifname}")
        for line in removed:
            log.info("%s", line[6:])
        return success(*removed)


def main(argv: list[str] | None = None) -> int:
    """``python3 -m pyhb.agents.ipaddr [--kind IPaddr|IPaddr2] IPSPEC ACTION``."""
    import sys  # noqa: PLC0415 - only the command line needs it

    args = sys.argv[1:] if argv is None else list(argv)
    kind: Kind = IPADDR
    if len(args) >= 2 and args[0] == "--kind":
        if not is_address_agent(args[1]):
            sys.stderr.write(f"unknown kind {args[1]!r}\n")
            return RC_GENERIC
        kind = args[1]
        args = args[2:]
    netlink = Netlink()
    return arp.run_as_script(
        args,
        lambda garp, rundir: IpAddrAgent(kind, netlink, garp, rundir=rundir, train_mode="fork"),
        netlink.close,
    )


if __name__ == "__main__":
    raise SystemExit(main())
