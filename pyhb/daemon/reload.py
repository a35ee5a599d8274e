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
import logging
from dataclasses import dataclass
from pathlib import Path

from pyhb.config import ConfigError, load_config
from pyhb.config.model import ClusterConfig, HaConfig

log = logging.getLogger("pyhb")

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
# The live settings that reconfigure logging.
LOGGING = frozenset({"logfile", "debugfile", "logfacility", "use_logd", "debug"})
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


def reread(confdir: Path, local_node: str) -> ClusterConfig | str:
    """The configuration as it is now on disk, or (its issues logged) the answer to give."""
    try:
        return load_config(confdir, local_node)
    except ConfigError as exc:
        for issue in exc.issues:
            log.error("%s", issue)
        log.error("Config errors: configuration NOT reloaded; still running on the old one")
        return f"configuration not reloaded: {len(exc.issues)} problem(s), see the log"


def merge(old: ClusterConfig, new: ClusterConfig, plan: ReloadPlan) -> ClusterConfig:
    """``old`` with ``new``'s live settings (``plan.changed``), raw values and authkeys."""
    live = dataclasses.replace(
        old.ha, params=new.ha.params, **{name: getattr(new.ha, name) for name in plan.changed}
    )
    return dataclasses.replace(old, ha=live, authkeys=new.authkeys)


def report(plan: ReloadPlan) -> None:
    """Log what a reload applied, and what waits for a restart."""
    applied = [*plan.changed, *(["authkeys"] if plan.authkeys_changed else [])]
    if applied:
        log.info("Configuration reloaded: %s", ", ".join(applied))
    if plan.needs_restart:
        log.warning(
            "Changed %s: takes effect at the next restart (service heartbeat restart); "
            "running on the old values until then",
            ", ".join(plan.needs_restart),
        )
