"""Parsing the ha.cf media lines ``bcast``, ``ucast`` and ``mcast`` into ``Medium`` values.

Each function takes the value tokens of one line and returns the media built plus error
messages (without the ``path:line`` prefix); nothing is looked up on the network (a ucast
peer given by name is resolved by ``pyhb.net``).
Imports stdlib, ``config.units`` and ``config.model`` only (no socket).
"""

from __future__ import annotations

import ipaddress
import re

from pyhb.config.model import Bcast, Mcast, Ucast
from pyhb.config.units import each_valid, parse_int

_IFACE_RE = re.compile(r"[^\s/:]{1,15}(:[0-9A-Za-z_.-]+)?")
_HOST_RE = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_MCAST_NET = ipaddress.IPv4Network("224.0.0.0/4")
MAX_MCAST_TTL = 4


def iface_error(directive: str, iface: str) -> str | None:
    """An error message if ``iface`` cannot be a Linux interface name."""
    if _IFACE_RE.fullmatch(iface):
        return None
    return f"{directive}: invalid interface name {iface!r}"


def parse_bcast(tokens: list[str], port: int, line: int) -> tuple[list[Bcast], list[str]]:
    """``bcast IFACE [IFACE...]``: one medium per interface."""
    return each_valid(
        tokens, lambda iface: iface_error("bcast", iface), lambda iface: Bcast(iface, port, line)
    )


def parse_ucast(tokens: list[str], port: int, line: int) -> tuple[Ucast | None, list[str]]:
    """``ucast IFACE PEER``; further tokens are ignored, as heartbeat does."""
    if len(tokens) < 2:
        return None, [f"ucast: expected 'ucast IFACE PEER' (got 'ucast {' '.join(tokens)}')"]
    iface, peer = tokens[0], tokens[1]
    problem = iface_error("ucast", iface)
    if problem:
        return None, [problem]
    if re.fullmatch(r"[0-9.]+", peer):
        try:
            ipaddress.IPv4Address(peer)
        except ValueError:
            return None, [f"ucast: invalid IPv4 address {peer!r}"]
    elif not _HOST_RE.fullmatch(peer):
        return None, [f"ucast: invalid peer {peer!r} (use an IPv4 address or host name)"]
    return Ucast(iface, peer, port, line), []


def _is_multicast(group: str) -> bool:
    try:
        return ipaddress.IPv4Address(group) in _MCAST_NET
    except ValueError:
        return False


def parse_mcast(tokens: list[str], line: int) -> tuple[Mcast | None, list[str]]:
    """``mcast IFACE GROUP PORT TTL LOOP`` (udpport does not apply)."""
    if len(tokens) < 5:
        return None, [
            f"mcast: expected 'mcast IFACE GROUP PORT TTL LOOP' (got 'mcast {' '.join(tokens)}')"
        ]
    iface, group, port_text, ttl_text, loop_text = tokens[:5]
    errors: list[str] = []
    problem = iface_error("mcast", iface)
    if problem:
        errors.append(problem)
    if not _is_multicast(group):
        errors.append(
            f"mcast: group {group!r} is not an IPv4 multicast address "
            "(use 224.0.0.0 to 239.255.255.255, e.g. 239.0.0.1)"
        )
    port = ttl = 0
    try:
        port = parse_int(port_text, 1, 65535)
    except ValueError as exc:
        errors.append(f"mcast: port {exc}")
    if not ttl_text.isdigit():
        errors.append(f"mcast: ttl {ttl_text!r} is invalid (use 0 to {MAX_MCAST_TTL})")
    elif int(ttl_text) > MAX_MCAST_TTL:
        errors.append(
            f"mcast: ttl {ttl_text} is out of range (heartbeat accepts 0 to {MAX_MCAST_TTL} "
            "only, although its manual says 0-255)"
        )
    else:
        ttl = int(ttl_text)
    if loop_text not in {"0", "1"}:
        errors.append(f"mcast: loop {loop_text!r} is invalid (use 0 or 1)")
    if errors:
        return None, errors
    return Mcast(iface, group, port, ttl, loop_text == "1", line), []
