"""Looking up network interfaces and their IPv4 addresses.

The only module that imports ``netifaces`` (unmaintained; keep it replaceable by pyroute2
or ``ifaddr`` without touching anything else). Lookups are blocking and must run before
the event loop starts. Imports ``netifaces`` and stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass

import netifaces


@dataclass(frozen=True, slots=True)
class Ipv4Address:
    """One IPv4 address of an interface, with its netmask and broadcast (if any)."""

    iface: str
    addr: str
    netmask: str | None
    broadcast: str | None


def interfaces() -> list[str]:
    """The names of all interfaces of the current network namespace."""
    return list(netifaces.interfaces())


def iface_exists(name: str) -> bool:
    """Whether an interface with this exact name exists."""
    return name in netifaces.interfaces()


def ipv4_addresses(name: str) -> list[Ipv4Address]:
    """Every IPv4 address of interface ``name``, primary first.

    Raises:
        LookupError: there is no such interface.
    """
    try:
        entries = netifaces.ifaddresses(name).get(netifaces.AF_INET, [])
    except ValueError as exc:  # netifaces: "You must specify a valid interface name."
        raise LookupError(f"interface [{name}] does not exist") from exc
    result = []
    for entry in entries:
        addr = entry.get("addr")
        if not addr:
            continue
        result.append(
            Ipv4Address(
                iface=name,
                addr=str(addr),
                netmask=_opt(entry.get("netmask")),
                # netifaces reports point-to-point peers as "peer"; only a real
                # broadcast address counts.
                broadcast=_opt(entry.get("broadcast")),
            )
        )
    return result


def ipv4_address(name: str) -> str | None:
    """The primary IPv4 address of interface ``name``, or None if it has none.

    Raises:
        LookupError: there is no such interface.
    """
    addrs = ipv4_addresses(name)
    return addrs[0].addr if addrs else None


def ipv4_broadcast(name: str) -> str | None:
    """The IPv4 broadcast address of ``name`` (what SIOCGIFBRDADDR returns), or None.

    Raises:
        LookupError: there is no such interface.
    """
    for a in ipv4_addresses(name):
        if a.broadcast and a.broadcast != "0.0.0.0":  # noqa: S104 - "unset", not a bind
            return a.broadcast
    return None


def _opt(value: object) -> str | None:
    return str(value) if value else None
