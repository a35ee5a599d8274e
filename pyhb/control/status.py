"""``pyhb status --json``: the machine-readable status document (schema in docs/status.md
and docs/status.schema.json).

``build_status`` reads one engine (through its read-only parts) and what only the daemon
knows (its version, its start time, the resource monitor's state) and returns plain JSON
data. The document's shape is stable: a field is never removed or renamed without raising
``SCHEMA``; new fields may be added. Imports stdlib and ``pyhb.core`` only (no I/O).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyhb.config.model import AutoFailback, ResourceRef
from pyhb.core.engine import Engine
from pyhb.core.snapshot import MonitorView

#: The document's ``schema`` value; the number changes only on an incompatible change.
SCHEMA = "pyhb-status/1"

#: The resource monitor's state of one resource of a group (``group key``, resource), or
#: None when the resource is not monitored. Absent altogether: nothing is monitored.
MonitorAccessor = Callable[[str, ResourceRef], MonitorView | None]


def group_holder(engine: Engine, key: str) -> str | None:
    """The node this node knows to hold (or to be acquiring or releasing) group ``key``.

    Ourselves when we hold it; the peer when it is alive and its last resource statement
    claims it (``auto_failback on``/``off``) or, in ``legacy`` mode, where peers send no
    statements, when it is alive and we do not hold the group (the ip-request protocol
    hands a group over only by stopping it on one node before the other starts it).
    None: nobody (as far as this node knows).
    """
    own = engine.ownership
    if key in own.held:
        return engine.local
    if own.peer is None or not own.peer_alive:
        return None
    if engine.config.ha.auto_failback is AutoFailback.LEGACY:
        return own.peer
    return own.peer if key in own.peer_hold else None


def _monitor(view: MonitorView | None) -> dict[str, Any]:
    if view is None:
        return {
            "monitored": False,
            "last_check": None,
            "last_check_ok": None,
            "failures_in_window": None,
            "window_seconds": None,
            "restarts": None,
            "cleared": None,
        }
    return {
        "monitored": True,
        "last_check": view.last_check,
        "last_check_ok": view.last_ok,
        "failures_in_window": view.failures,
        "window_seconds": view.window,
        "restarts": view.restarts,
        "cleared": view.cleared,
    }


def build_status(
    engine: Engine,
    *,
    now: float,
    started: float,
    version: str,
    monitor: MonitorAccessor | None = None,
) -> dict[str, Any]:
    """The status document of the node ``engine`` runs; ``now`` and ``started`` are
    monotonic readings of the same clock (uptime = now - started)."""
    snap = engine.snapshot()
    ha = engine.config.ha
    nodes = [
        {
            "name": n.name,
            "type": n.type,
            "status": n.status.value,
            "local": n.name == snap.local_node,
            "links": [{"name": li.name, "status": li.status.value} for li in n.links],
        }
        for n in snap.nodes
    ]
    groups = []
    for view in snap.groups:
        group = engine.ownership.groups[view.key]
        resources = [
            {
                "resource": ref.text,
                "monitor": _monitor(monitor(view.key, ref) if monitor is not None else None),
            }
            for ref in group.resources
        ]
        groups.append(
            {
                "key": view.key,
                "preferred_node": view.node,
                "holder": group_holder(engine, view.key),
                "state": view.state,
                "error": view.error,
                "resources": resources,
            }
        )
    return {
        "schema": SCHEMA,
        "version": version,
        "heartbeat_version": "3.0.6",
        "local_node": snap.local_node,
        "local_status": snap.local_status.value,
        "uptime_seconds": round(max(0.0, now - started), 3),
        "rscstatus": snap.rscstatus,
        "auto_failback": ha.auto_failback.value,
        "timings": {
            "keepalive_ms": ha.keepalive,
            "deadtime_ms": ha.deadtime,
            "warntime_ms": ha.warntime,
            "initdead_ms": ha.initdead,
        },
        "nodes": nodes,
        "groups": groups,
    }
