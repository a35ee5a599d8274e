"""The argument rules of the built-in resource agents, shared by the agents and the
configuration check (so that what ``pyhb check`` accepts, the agent can run).

One function per agent returns every problem of a resource's arguments (the ``::``
separated words after its name in haresources), empty when they are good:

- ``IPaddr`` / ``IPaddr2``: ``ADDR[/BITS_OR_NETMASK[/NIC[:LABEL][/BROADCAST]]]`` or
  ``ADDR/BITS/BROADCAST`` (a third part starting with a digit is the broadcast).
- ``Filesystem``: ``device::directory[::fstype[::options]]``.
- ``drbddisk``: ``[resource]``.
- ``Delay``: ``[start[::stop]]`` in seconds.

Numbers are matched with explicit ``[0-9]`` patterns: ``str.isdigit`` and ``int`` also
take other scripts' digits (``²``, ``٣``), which the shell scripts and the kernel do not.
Must not import anything from pyhb outside ``pyhb.agents``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pyhb.agents import names
from pyhb.agents.base import UsageError

IFNAMSIZ = 15  # the kernel's limit on an interface name or address label (IFNAMSIZ - 1)

_DOTTED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_BITS = re.compile(r"[0-9]{1,2}")
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_FSTYPE = re.compile(r"[A-Za-z0-9_.+-]+")
_IFNAME_BAD = re.compile(r"[/:\s]")


@dataclass(frozen=True, slots=True)
class IpSpec:
    """One parsed IPaddr argument; None means "derive it from the interfaces"."""

    ip: str
    prefixlen: int | None = None
    nic: str | None = None
    label: str | None = None  # the part after ':' in ``eth0:label``
    broadcast: str | None = None


def _ipv4(text: str) -> str | None:
    if not _DOTTED.fullmatch(text):
        return None
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _prefixlen(text: str) -> int | None:
    if _BITS.fullmatch(text):
        value = int(text)  # ASCII digits only, by the pattern
        return value if value <= 32 else None
    if not _DOTTED.fullmatch(text):
        return None
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen
    except ValueError:
        return None


def ifname_problem(name: str) -> str | None:
    """Why ``name`` cannot be a Linux interface name (the kernel's ``dev_valid_name``)."""
    if not name:
        return "the interface name is empty"
    if len(name) > IFNAMSIZ:
        return f"interface name {name!r} is longer than {IFNAMSIZ} characters"
    if name in (".", "..") or _IFNAME_BAD.search(name) or not name.isascii():
        return f"interface name {name!r} is not valid"
    return None


def _ipaddr_parse(text: str) -> tuple[IpSpec | None, list[str]]:
    problems: list[str] = []
    parts = text.split("/")
    if len(parts) > 4:
        return None, [f"{text!r} has more than 4 '/'-separated parts"]
    ip = _ipv4(parts[0])
    if ip is None:
        problems.append(f"invalid IP address {parts[0]!r}")
    prefixlen: int | None = None
    if len(parts) > 1 and parts[1]:
        prefixlen = _prefixlen(parts[1])
        if prefixlen is None:
            problems.append(f"invalid netmask {parts[1]!r} (bits 0-32 or a dotted netmask)")
    nic = label = broadcast = None
    third = parts[2] if len(parts) > 2 else ""
    fourth = parts[3] if len(parts) > 3 else ""
    if third[:1] in tuple("0123456789"):
        broadcast, given = _ipv4(third), third
        if fourth:
            problems.append(f"nothing may follow the broadcast address {third!r}")
    elif third:
        nic, _, rest = third.partition(":")
        label = rest or None
        problem = ifname_problem(nic)
        if problem:
            problems.append(problem)
        broadcast, given = (_ipv4(fourth), fourth) if fourth else (None, "")
    else:
        given = fourth
        if fourth:
            problems.append("a broadcast address needs an interface before it")
    if given and broadcast is None:
        problems.append(f"invalid broadcast address {given!r}")
    if problems or ip is None:
        return None, problems
    return IpSpec(ip, prefixlen, nic, label, broadcast), []


def parse_ipaddr_arg(text: str) -> IpSpec:
    """Parse one IPaddr/IPaddr2 argument; ``UsageError`` names every problem."""
    spec, problems = _ipaddr_parse(text)
    if spec is None:
        raise UsageError("; ".join(problems) or f"invalid address specification {text!r}")
    return spec


def ipaddr_problems(args: Sequence[str]) -> list[str]:
    if len(args) != 1:
        return [f"takes one argument ADDR[/BITS[/NIC[/BROADCAST]]], not {len(args)}"]
    return _ipaddr_parse(args[0])[1]


def ipaddr2_problems(args: Sequence[str]) -> list[str]:
    """IPaddr's rules, plus: a ``NIC:LABEL`` label fits the kernel's 15 characters."""
    problems = ipaddr_problems(args)
    if not problems:
        spec = parse_ipaddr_arg(args[0])
        label = f"{spec.nic}:{spec.label}" if spec.label else ""
        if len(label) > IFNAMSIZ or not label.isascii():
            problems.append(f"interface label [{label}] exceeds {IFNAMSIZ} characters")
    return problems


def filesystem_problems(args: Sequence[str]) -> list[str]:
    if not 2 <= len(args) <= 4:
        return [f"takes device::directory[::fstype[::options]], not {len(args)} argument(s)"]
    problems = []
    if not args[0]:
        problems.append("the device is empty")
    if not args[1].startswith("/"):
        problems.append(f"the mount point {args[1]!r} is not an absolute directory")
    if len(args) > 2 and args[2] and not _FSTYPE.fullmatch(args[2]):
        problems.append(f"invalid file system type {args[2]!r}")
    return problems


def drbddisk_problems(args: Sequence[str]) -> list[str]:
    if len(args) > 1:
        return [f"takes at most one argument (the DRBD resource), not {len(args)}"]
    if args and not args[0]:
        return ["the DRBD resource name is empty"]
    return []


def delay_problems(args: Sequence[str]) -> list[str]:
    if len(args) > 2:
        return [f"takes at most two arguments (start and stop delay), not {len(args)}"]
    return [f"delay {a!r} is not a number of seconds" for a in args if not _SECONDS.fullmatch(a)]


RULES: dict[str, Callable[[Sequence[str]], list[str]]] = {
    names.IPADDR: ipaddr_problems,
    names.IPADDR2: ipaddr2_problems,
    names.FILESYSTEM: filesystem_problems,
    names.DRBDDISK: drbddisk_problems,
    names.DELAY: delay_problems,
}


def argument_problems(name: str, args: Sequence[str]) -> list[str]:
    """Every problem of a built-in agent's arguments; empty for good ones or other agents."""
    rule = RULES.get(name)
    return rule(args) if rule else []
