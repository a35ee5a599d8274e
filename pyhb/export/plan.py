"""A loaded ``ClusterConfig`` -> the ``Plan`` every output format renders.

Each haresources line becomes a group (resources left to right) or, for one resource, a
bare primitive, with an ``rsc_location`` preference for its node. Leading ``drbddisk``
resources become promotable ``ocf:linbit:drbd`` clones the group is colocated with (on
the Promoted role) and ordered after (promote, then start). ``auto_failback`` sets the
default stickiness below (on, legacy) or above (off) the preference. Errors are
collected for every line and raised together as ``ExportError``.
Imports stdlib, ``pyhb.config`` and ``pyhb.export`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pyhb.agents import names
from pyhb.config.model import AutoFailback, ClusterConfig, ResourceGroup
from pyhb.config.monitors import MonitorSpec
from pyhb.config.source import ConfigIssue
from pyhb.export.agents import Untranslatable, make_id, primitive_for
from pyhb.export.fencing import fencing_from_hacf
from pyhb.export.model import (
    PREFERENCE_SCORE,
    STICKY_FAILBACK_OFF,
    STICKY_FAILBACK_ON,
    Colocation,
    ExportError,
    Group,
    Location,
    Op,
    Order,
    Plan,
    Primitive,
    PromotableClone,
    Resource,
    issue,
)

NO_FENCING = (
    "WARNING: stonith-enabled=false. ha.cf names no fencing device (stonith_host), so "
    "none is configured. A production cluster NEEDS fencing: without it a node that hangs "
    "or loses its links can keep the service address while the peer takes it too. "
    "Configure a fence device and set stonith-enabled=true before going live."
)
DRBD_OPS = (
    Op("monitor", "29s", "20s", "Promoted"),
    Op("monitor", "31s", "20s", "Unpromoted"),
    Op("start", "0s", "240s"),
    Op("stop", "0s", "100s"),
    Op("promote", "0s", "90s"),
    Op("demote", "0s", "90s"),
    Op("notify", "0s", "90s"),
)


class _Ids:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        ident, n = wanted, 1
        while ident in self.used:
            n += 1
            ident = f"{wanted}-{n}"
        self.used.add(ident)
        return ident


def _drbd_clone(arg: tuple[str, ...], nodes: int, ids: _Ids) -> PromotableClone:
    if len(arg) != 1 or not arg[0] or arg[0] == "all":
        raise Untranslatable("drbddisk needs exactly one DRBD resource name (drbddisk::r0)")
    rsc = ids.take(make_id(f"drbd-{arg[0]}"))
    primitive = Primitive(
        rsc, "ocf", "drbd", "linbit", (("drbd_resource", arg[0]),), DRBD_OPS, f"drbddisk::{arg[0]}"
    )
    meta = (
        ("promotable", "true"),
        ("promoted-max", "1"),
        ("promoted-node-max", "1"),
        ("clone-max", str(nodes)),
        ("clone-node-max", "1"),
        ("notify", "true"),
    )
    return PromotableClone(ids.take(f"{rsc}-clone"), primitive, meta)


class _Builder:
    def __init__(self, config: ClusterConfig, dirs: Sequence[Path], init: Sequence[Path]):
        self.config, self.dirs, self.init = config, dirs, init
        self.path = str(config.confdir / "haresources")
        self.ids = _Ids()
        self.resources: list[Resource] = []
        self.locations: list[Location] = []
        self.colocations: list[Colocation] = []
        self.orders: list[Order] = []
        self.notes: list[str] = []
        self.issues: list[ConfigIssue] = []
        self.monitors = {m.resource: m for m in config.pyhb.monitors}

    def line(self, group: ResourceGroup) -> None:
        refs = list(group.resources)
        clones: list[PromotableClone] = []
        members: list[Primitive] = []
        while refs and refs[0].name == names.DRBDDISK:
            ref = refs.pop(0)
            try:
                clones.append(_drbd_clone(ref.args, len(self.config.ha.node), self.ids))
            except Untranslatable as exc:
                self.issues.append(issue(self.path, group.line, f"{ref.text}: {exc}"))
        for ref in refs:
            if ref.name == names.DRBDDISK:
                self.issues.append(
                    issue(
                        self.path,
                        group.line,
                        f"{ref.text}: drbddisk must "
                        "come first on its line: Pacemaker promotes DRBD before the group starts, "
                        "so resources before it would change order",
                    )
                )
                continue
            try:
                prim = primitive_for(ref, self.dirs, self.init)
            except Untranslatable as exc:
                self.issues.append(issue(self.path, group.line, f"{ref.text}: {exc}"))
                continue
            members.append(self._with_monitor(_renamed(prim, self.ids.take(prim.id)), ref.text))
            if prim.note:
                self.notes.append(f"haresources line {group.line}: {prim.note}")
        self.resources += clones
        node = group.node
        target: str | None = None
        if len(members) == 1:
            target = members[0].id
            self.resources.append(members[0])
        elif members:
            target = self.ids.take(make_id(f"grp-{members[0].id}"))
            self.resources.append(Group(target, tuple(members)))
        for clone in clones:
            self.locations.append(
                Location(
                    f"loc-{clone.id}-{node}", clone.id, node, str(PREFERENCE_SCORE), "Promoted"
                )
            )
            if target is not None:
                self.colocations.append(
                    Colocation(f"col-{target}-{clone.id}", target, clone.id, "Promoted")
                )
                self.orders.append(
                    Order(f"ord-{clone.id}-{target}", clone.id, "promote", target, "start")
                )
        if target is not None:
            self.locations.append(
                Location(f"loc-{target}-{node}", target, node, str(PREFERENCE_SCORE))
            )

    def _with_monitor(self, prim: Primitive, word: str) -> Primitive:
        """``prim`` with the settings of its pyhb.cf monitor, if it has one."""
        spec = self.monitors.get(word)
        if spec is None:
            return prim
        if spec.check is not None:
            self.issues.append(
                issue(
                    str(self.config.confdir / "pyhb.cf"),
                    spec.line,
                    f"monitor {spec.resource}: check= cannot be exported: Pacemaker "
                    "monitors a resource with its own agent; drop check= to use the "
                    "agent's monitor, or write an OCF agent that runs the check",
                )
            )
            return prim
        return _monitored(prim, spec)


def _renamed(prim: Primitive, ident: str) -> Primitive:
    return replace(prim, id=ident)


def _duration(seconds: float) -> str:
    """Seconds as Pacemaker writes a duration: ``5s``, ``1500ms``."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _monitored(prim: Primitive, spec: MonitorSpec) -> Primitive:
    """``prim`` with a pyhb.cf monitor's settings: its monitor operation's interval and
    timeout, and the failures Pacemaker counts before it moves the resource (pyhb
    restarts ``restarts`` times in ``window``, and moves at the next failure)."""
    ops = tuple(
        replace(op, interval=_duration(spec.interval), timeout=_duration(spec.timeout))
        if op.name == "monitor" and not op.role
        else op
        for op in prim.ops
    )
    if not any(op.name == "monitor" for op in ops):
        ops += (Op("monitor", _duration(spec.interval), _duration(spec.timeout)),)
    meta = (
        ("migration-threshold", str(spec.restarts + 1)),
        ("failure-timeout", _duration(spec.window)),
    )
    return replace(prim, ops=ops, meta=prim.meta + meta)


def _stickiness(mode: AutoFailback) -> tuple[str, list[str]]:
    if mode is AutoFailback.OFF:
        return str(STICKY_FAILBACK_OFF), [
            f"auto_failback off: resource-stickiness {STICKY_FAILBACK_OFF} outweighs the "
            f"preferred node's score {PREFERENCE_SCORE}: resources stay where they run."
        ]
    notes = [
        f"auto_failback {mode}: resource-stickiness {STICKY_FAILBACK_ON} is below the preferred "
        f"node's score {PREFERENCE_SCORE}: resources move back when that node returns."
    ]
    if mode is AutoFailback.LEGACY:
        notes.append(
            "auto_failback legacy (ha.cf sets none) is exported as 'on': legacy "
            "falls back like 'on' once every node runs it; review."
        )
    return str(STICKY_FAILBACK_ON), notes


def build_plan(
    config: ClusterConfig, resource_dirs: Sequence[Path], init_dirs: Sequence[Path]
) -> Plan:
    """The export of ``config``; raises ``ExportError`` with every untranslatable line."""
    builder = _Builder(config, resource_dirs, init_dirs)
    hacf = config.confdir / "ha.cf"
    devices, fence_locations, fence_issues = fencing_from_hacf(hacf, str(hacf))
    builder.issues += fence_issues
    for device in devices:
        builder.ids.take(device.id)
    for group in config.groups:
        builder.line(group)
    if builder.issues:
        raise ExportError(builder.issues)
    stickiness, notes = _stickiness(config.ha.auto_failback)
    comments = [] if devices else [NO_FENCING]
    properties = [("stonith-enabled", "true" if devices else "false"), ("no-quorum-policy", "stop")]
    notes.append(
        "no-quorum-policy stop: corosync's two_node keeps the survivor of a "
        "two-node cluster quorate; larger clusters stop without a majority."
    )
    return Plan(
        properties=tuple(properties),
        rsc_defaults=(("resource-stickiness", stickiness),),
        resources=(*devices, *builder.resources),
        locations=(*fence_locations, *builder.locations),
        colocations=tuple(builder.colocations),
        orders=tuple(builder.orders),
        comments=(*comments, *notes, *builder.notes),
    )
