"""ha.cf's ping nodes (``ping``, ``ping_group``), respawned clients (``respawn``) and the
clients allowed on the client API (``apiauth``).

Parsing turns one line's tokens into ``PingNode`` / ``RespawnClient`` values plus error
messages (without the ``path:line`` prefix), as ``config.media`` does for media. The
machine checks (the user exists, the program is there and executable, the old
``/usr/lib/heartbeat`` path of ipfail and friends) are separate, for ``pyhb check`` and
the daemon's start. See docs/pingnodes.md.
Imports stdlib and ``config.model`` / ``config.source`` only (no socket).
"""

from __future__ import annotations

import ipaddress
import os
import pwd
import re
from collections.abc import Callable, Mapping, Sequence

from pyhb.config.model import ApiAuth, HaConfig, PingNode, RespawnClient, node_key
from pyhb.config.source import ConfigIssue, Severity
from pyhb.config.units import each_valid

_HOST_RE = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_NAME_RE = re.compile(r"[^\s/]{1,99}")
#: Where heartbeat 3.0.6 installs its helpers on Debian 12, and where older packages did.
OLD_HELPER_DIRS = ("/usr/lib/heartbeat/", "/usr/lib64/heartbeat/")
HELPER_DIR = "/usr/libexec/heartbeat/"


def _address_error(directive: str, text: str) -> str | None:
    if re.fullmatch(r"[0-9.]+", text):
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return f"{directive}: invalid IPv4 address {text!r}"
        return None
    if ":" in text:
        return f"{directive}: {text!r} is an IPv6 address; pyhb pings IPv4 addresses only"
    if not _HOST_RE.fullmatch(text):
        return f"{directive}: invalid address {text!r} (use an IPv4 address or host name)"
    return None


def parse_ping(tokens: Sequence[str], line: int) -> tuple[list[PingNode], list[str]]:
    """``ping ADDR [ADDR...]``: one ping node per address, named by the address."""
    return each_valid(
        tokens,
        lambda token: _address_error("ping", token),
        lambda token: PingNode(node_key(token), (token,), line),
    )


def parse_ping_group(tokens: Sequence[str], line: int) -> tuple[PingNode | None, list[str]]:
    """``ping_group NAME ADDR [ADDR...]``: one ping node up while any address answers."""
    if len(tokens) < 2:
        got = " ".join(tokens)
        return None, [f"ping_group: expected 'ping_group NAME ADDR [ADDR...]' (got {got!r})"]
    name, addresses = tokens[0], tuple(tokens[1:])
    if not _NAME_RE.fullmatch(name):
        return None, [f"ping_group: invalid group name {name!r}"]
    errors = [p for a in addresses if (p := _address_error("ping_group", a))]
    if errors:
        return None, errors
    return PingNode(node_key(name), tuple(dict.fromkeys(addresses)), line), []


def parse_respawn(rest: str, line: int) -> tuple[RespawnClient | None, list[str]]:
    """``respawn USER /absolute/program [ARGS...]``."""
    words = rest.split()
    if len(words) < 2 or not words[1].startswith("/"):
        return None, [f"respawn: expected 'respawn USER /absolute/path [ARGS...]' (got {rest!r})"]
    user = words[0]
    command = rest[len(user) :].strip()
    return RespawnClient(user, command, line), []


def duplicate_name_errors(
    ha_nodes: Sequence[str], pings: Sequence[PingNode]
) -> list[tuple[int, str]]:
    """(line, message) for each ping node named like a cluster node or an earlier ping node."""
    seen: dict[str, int] = {}
    out: list[tuple[int, str]] = []
    for p in pings:
        if p.name in ha_nodes:
            out.append((p.line, f"ping node {p.name!r} has the name of a cluster node"))
        elif p.name in seen:
            out.append((p.line, f"ping node {p.name!r} already defined on line {seen[p.name]}"))
        else:
            seen[p.name] = p.line
    return out


def resolve_program(
    program: str, executable: Callable[[str], bool] = lambda p: os.access(p, os.X_OK)
) -> tuple[str, str | None]:
    """The program to run for ``program`` and, when it is not ``program`` itself, why.

    Older packages installed heartbeat's helpers (ipfail, ...) in /usr/lib/heartbeat; the
    3.0.6 package on Debian 12 puts them in /usr/libexec/heartbeat. A configuration naming
    the old place runs the new one when only the new one exists.
    """
    if executable(program):
        return program, None
    for old in OLD_HELPER_DIRS:
        if program.startswith(old):
            moved = HELPER_DIR + program[len(old) :]
            if executable(moved):
                return moved, f"{program} does not exist; running {moved} instead"
    return program, None


def check_clients(
    ha: HaConfig,
    path: str,
    executable: Callable[[str], bool] = lambda p: os.access(p, os.X_OK),
    user_exists: Callable[[str], bool] | None = None,
) -> list[ConfigIssue]:
    """The machine checks of every ``respawn`` line: the user and the program."""
    exists = user_exists or _user_exists
    issues: list[ConfigIssue] = []
    for client in ha.respawn:
        if not exists(client.user):
            issues.append(
                ConfigIssue(
                    path, client.line, Severity.ERROR, f"respawn: no such user {client.user!r}"
                )
            )
        program, note = resolve_program(client.program, executable)
        if note is not None:
            issues.append(
                ConfigIssue(
                    path,
                    client.line,
                    Severity.WARNING,
                    f"respawn: {note}; write {program} in ha.cf",
                )
            )
        elif not executable(program):
            issues.append(
                ConfigIssue(
                    path,
                    client.line,
                    Severity.ERROR,
                    f"respawn: {program} is not an executable file",
                )
            )
    return issues


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def parse_apiauth(
    words: Sequence[str], line: int, known: Mapping[str, ApiAuth]
) -> tuple[ApiAuth | None, list[str]]:
    """``apiauth CLIENT uid=U1,U2 gid=G1,G2``: the users and groups that may sign on to the
    client API as CLIENT (``known``: the clients authorised on earlier lines)."""
    lists = [w for w in words[1:] if w.startswith(("uid=", "gid="))]
    if not words or not lists or len(lists) != len(words) - 1:
        return None, [
            f"apiauth: expected 'apiauth CLIENT uid=U1,U2 gid=G1,G2' with "
            f"at least one list (got {' '.join(words)!r})"
        ]
    client = words[0]
    if client in known:
        return None, [f"apiauth: client {client!r} already authorised on line {known[client].line}"]
    ids: dict[str, list[str]] = {"uid": [], "gid": []}
    for word in lists:
        kind, _, names = word.partition("=")
        listed = [n for n in names.split(",") if n]
        if not listed:
            return None, [f"apiauth {client}: empty {kind}= list (got {word!r})"]
        ids[kind] += listed
    return ApiAuth(client, tuple(ids["uid"]), tuple(ids["gid"]), line), []
