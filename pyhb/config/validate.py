"""Cross-file configuration checks: haresources nodes against ha.cf, resource scripts
that must exist, media interfaces present on this machine, and the users and groups
``apiauth`` names.

Each check returns more ``ConfigIssue``s; nothing here raises. Interfaces are looked up in
``/sys/class/net`` (no sockets). Imports stdlib, ``pyhb.config.*`` and ``pyhb.shipped`` only.
"""

from __future__ import annotations

import grp
import pwd
from collections.abc import Sequence
from pathlib import Path

from pyhb.config.haresources import suggest_script
from pyhb.config.model import HaConfig, ResourceGroup
from pyhb.config.source import ConfigIssue, Severity
from pyhb.shipped import find_script

SYS_CLASS_NET = Path("/sys/class/net")


def check_group_nodes(
    groups: Sequence[ResourceGroup], path: str, nodes: Sequence[str]
) -> list[ConfigIssue]:
    """Every group's preferred node must be a configured ``node``."""
    issues = []
    for group in groups:
        if group.node not in nodes:
            issues.append(
                ConfigIssue(
                    path,
                    group.line,
                    Severity.ERROR,
                    f"node {group.node!r} is not a configured node (ha.cf nodes: "
                    f"{', '.join(nodes) or 'none'})",
                )
            )
    return issues


def check_scripts(
    groups: Sequence[ResourceGroup], path: str, dirs: Sequence[Path]
) -> list[ConfigIssue]:
    """Every resource must name an executable script in ``dirs``."""
    issues = []
    where = ", ".join(str(d) for d in dirs)
    for group in groups:
        seen: set[str] = set()
        for resource in group.resources:
            name = resource.name
            if name in seen or find_script(name, dirs) is not None:
                continue
            seen.add(name)
            close = suggest_script(name, dirs)
            hint = f" (did you mean {close!r}?)" if close else ""
            issues.append(
                ConfigIssue(
                    path,
                    group.line,
                    Severity.ERROR,
                    f"resource script {name!r} not found in {where}{hint}",
                )
            )
    return issues


def check_interfaces(ha: HaConfig, path: str, sys_net: Path = SYS_CLASS_NET) -> list[ConfigIssue]:
    """A warning for each medium whose interface does not exist here (yet)."""
    issues = []
    for medium in ha.media:
        base = medium.iface.split(":", 1)[0]
        if not (sys_net / base).exists():
            kind = type(medium).__name__.lower()
            issues.append(
                ConfigIssue(
                    path,
                    medium.line,
                    Severity.WARNING,
                    f"{kind}: interface {medium.iface!r} does not exist on this machine",
                )
            )
    return issues


def check_apiauth(ha: HaConfig, path: str) -> list[ConfigIssue]:
    """A warning for each user or group an ``apiauth`` line names that does not exist
    here: it authorises no one (numbers are taken as they are)."""
    issues = []
    for entry in ha.apiauth:
        for kind, names in (("user", entry.uids), ("group", entry.gids)):
            for name in names:
                if name.isdigit() or _exists(kind, name):
                    continue
                issues.append(
                    ConfigIssue(
                        path,
                        entry.line,
                        Severity.WARNING,
                        f"apiauth {entry.client}: no {kind} called {name!r} (ignored)",
                    )
                )
    return issues


def _exists(kind: str, name: str) -> bool:
    try:
        if kind == "user":
            pwd.getpwnam(name)
        else:
            grp.getgrnam(name)
    except KeyError:
        return False
    return True
