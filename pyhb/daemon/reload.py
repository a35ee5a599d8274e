"""What a configuration reload (SIGHUP, ``heartbeat -r``, ``service heartbeat reload``) may
change in a running daemon, and what needs a restart.

Heartbeat 3.0.6 answers a changed ha.cf with a quick restart that keeps resources. pyhb
applies in place what it can (timings, logging, authkeys, script environment) and, for the
rest (nodes, media, haresources, auto_failback, ...), keeps running on the old
configuration and says which lines need ``service heartbeat restart``. A reload never
interrupts a resource.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pyhb.config.model import ClusterConfig, HaConfig

# ha.cf settings a running node applies at once.
LIVE = frozenset(
    {
        "keepalive",
        "deadtime",
        "warntime",
        "initdead",
        "logfile",
        "debugfile",
        "logfacility",
        "use_logd",
        "debug",
        "log_badpack",
        "syslogmsgfmt",
        "env",
    }
)
# Derived from the others (the raw ha.cf values): follows them, never reported on its own.
DERIVED = frozenset({"params"})


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    changed: tuple[str, ...]  # live settings that differ, applied in place
    needs_restart: tuple[str, ...]  # settings that differ but only apply at start
    authkeys_changed: bool

    @property
    def unchanged(self) -> bool:
        return not (self.changed or self.needs_restart or self.authkeys_changed)


def _comparable(ha: HaConfig, name: str) -> object:
    value = getattr(ha, name)
    if name in {"media", "ping_nodes", "respawn", "apiauth"}:  # a line moved is no change
        return tuple(dataclasses.replace(m, line=0) for m in value)
    return value


def plan_reload(old: ClusterConfig, new: ClusterConfig) -> ReloadPlan:
    changed: list[str] = []
    restart: list[str] = []
    for f in dataclasses.fields(HaConfig):
        if f.name in DERIVED:
            continue
        if _comparable(old.ha, f.name) != _comparable(new.ha, f.name):
            (changed if f.name in LIVE else restart).append(f.name)
    if old.local_node != new.local_node:
        restart.append("node name")
    old_groups = [(g.node, g.key, g.resources) for g in old.groups]
    new_groups = [(g.node, g.key, g.resources) for g in new.groups]
    if old_groups != new_groups:
        restart.append("haresources")
    return ReloadPlan(tuple(changed), tuple(restart), old.authkeys != new.authkeys)
