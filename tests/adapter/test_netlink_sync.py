"""The thread-backed AsyncIPRoute used with pyroute2 releases before 0.9 (Debian 12's 0.7.2)."""

from __future__ import annotations

import asyncio

from pyhb.agents.ipaddr import Netlink
from pyhb.agents.netlink_sync import AsyncIPRoute


def test_dumps_links_and_addresses_through_the_sync_api() -> None:
    async def dump() -> tuple[list[str], list[tuple[str, int]]]:
        ipr = AsyncIPRoute()
        await ipr.setup_endpoint()
        try:
            names = [m.get_attr("IFLA_IFNAME") async for m in await ipr.link("dump")]
            addrs = [
                (m.get_attr("IFA_ADDRESS"), m["prefixlen"])
                async for m in await ipr.addr("dump", family=2)
            ]
        finally:
            ipr.close()
        return names, addrs

    names, addrs = asyncio.run(dump())
    assert "lo" in names
    assert ("127.0.0.1", 8) in addrs


def test_agent_netlink_reads_names_and_labels() -> None:
    """The agent's own reader gets names, MACs and addresses (no pyroute2 0.9-only ``get``)."""

    async def read() -> tuple[dict[int, str], list[tuple[str, str]]]:
        nl = Netlink()
        try:
            links = await nl.links()
            entries = await nl.addresses(links)
        finally:
            nl.close()
            await asyncio.sleep(0.01)  # let the event loop finish closing the transport
        return {i: link.ifname for i, link in links.items()}, [
            (e.ifname, e.address) for e in entries
        ]

    links, entries = asyncio.run(read())
    assert "lo" in links.values()
    assert ("lo", "127.0.0.1") in entries
