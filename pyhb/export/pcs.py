"""A ``Plan`` as ``pcs -f FILE`` commands: review and build the CIB offline, then push it.

The script starts from an empty CIB (``cibadmin --empty``) in ``$CIB`` (default
``cluster.xml``); ``pcs cluster cib-push`` loads it into a running cluster. Default
operations are never added (``--no-default-ops``): every operation is written out.
``--force`` is given where pcs refuses an agent that is not installed on the reviewing
machine (init scripts, pyhb's wrapper, DRBD's agent). Imports stdlib and ``export.model`` only.
"""

from __future__ import annotations

import shlex

from pyhb.export.model import Group, Plan, Primitive, PromotableClone

_HEADER = """\
#!/bin/sh
# Build the Pacemaker configuration exported by pyhb in a file, offline:
#   CIB=cluster.xml sh THIS-SCRIPT && crm_verify --xml-file cluster.xml -V
# then load it into the running cluster:  pcs cluster cib-push cluster.xml
set -eu
CIB=${CIB:-cluster.xml}
cibadmin --empty > "$CIB"
"""


# Agents often absent where the script is reviewed: pyhb's wrapper, drbd-utils' drbd.
FORCED_PROVIDERS = ("pyhb", "linbit")


def _q(words: list[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def _create(prim: Primitive, extra: list[str]) -> str:
    words = ["pcs", "-f", "$CIB", "resource", "create", prim.id, prim.agent]
    words += [f"{k}={v}" for k, v in prim.params]
    for op in prim.ops:
        words += ["op", op.name, f"interval={op.interval}", f"timeout={op.timeout}"]
        words += [f"role={op.role}"] if op.role else []
    if prim.meta:
        words += ["meta", *(f"{k}={v}" for k, v in prim.meta)]
    words += extra + ["--no-default-ops"]
    if prim.cls == "lsb" or prim.provider in FORCED_PROVIDERS:
        words.append("--force")
    line = _q(words).replace("'$CIB'", '"$CIB"')
    return (f"# haresources: {prim.source}\n" if prim.source else "") + line


def _stonith(prim: Primitive) -> str:
    words = ["pcs", "-f", "$CIB", "stonith", "create", prim.id, prim.type]
    words += [f"{k}={v}" for k, v in prim.params]
    for op in prim.ops:
        words += ["op", op.name, f"interval={op.interval}", f"timeout={op.timeout}"]
    return _q(words + ["--force"]).replace("'$CIB'", '"$CIB"')


def render_pcs(plan: Plan) -> str:
    """The shell script text."""
    out = [_HEADER.rstrip("\n")]
    out += [f"# {text}" for text in plan.comments]

    def pcs(*words: str) -> None:
        out.append(_q(["pcs", "-f", "$CIB", *words]).replace("'$CIB'", '"$CIB"'))

    for name, value in plan.properties:
        pcs("property", "set", f"{name}={value}")
    pcs("resource", "defaults", "update", *(f"{k}={v}" for k, v in plan.rsc_defaults))
    for rsc in plan.resources:
        if isinstance(rsc, Primitive) and rsc.cls == "stonith":
            out.append(_stonith(rsc))
        elif isinstance(rsc, Primitive):
            out.append(_create(rsc, []))
        elif isinstance(rsc, Group):
            out += [_create(member, ["--group", rsc.id]) for member in rsc.members]
        elif isinstance(rsc, PromotableClone):
            meta = [f"{k}={v}" for k, v in rsc.meta if k != "promotable"]
            out.append(_create(rsc.primitive, ["promotable", *meta]))
            if rsc.id != f"{rsc.primitive.id}-clone":  # pcs names the clone PRIMITIVE-clone
                raise ValueError(f"clone id {rsc.id} is not {rsc.primitive.id}-clone")
    for loc in plan.locations:
        if loc.role:
            pcs(
                "constraint",
                "location",
                loc.rsc,
                "rule",
                f"id={loc.id}",
                f"role={loc.role}",
                f"score={loc.score}",
                "#uname",
                "eq",
                loc.node,
            )
        else:
            pcs("constraint", "location", "add", loc.id, loc.rsc, loc.node, loc.score)
    for col in plan.colocations:
        pcs(
            "constraint",
            "colocation",
            "add",
            col.rsc,
            "with",
            col.with_role,
            col.with_rsc,
            "INFINITY",
        )
    for order in plan.orders:
        pcs(
            "constraint",
            "order",
            order.first_action,
            order.first,
            "then",
            order.then_action,
            order.then,
        )
    return "\n".join(out) + "\n"
