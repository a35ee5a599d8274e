"""A ``Plan`` as ``crm configure`` text (``crm configure load update FILE``).

Imports stdlib and ``export.model`` only.
"""

from __future__ import annotations

import re

from pyhb.export.model import Group, Plan, Primitive, PromotableClone

_PLAIN = re.compile(r"[A-Za-z0-9_.:/@%+,=-]*")


def _value(text: str) -> str:
    if _PLAIN.fullmatch(text) and text:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{k}={_value(v)}" for k, v in pairs)


def _primitive(prim: Primitive) -> list[str]:
    out = [f"# haresources: {prim.source}"] if prim.source else []
    words = [f"primitive {prim.id} {prim.agent}"]
    if prim.params:
        words.append(f"params {_pairs(prim.params)}")
    for op in prim.ops:
        role = f" role={op.role}" if op.role else ""
        words.append(f"op {op.name} interval={op.interval} timeout={op.timeout}{role}")
    if prim.meta:
        words.append(f"meta {_pairs(prim.meta)}")
    return [*out, " \\\n\t".join(words)]


def render_crmsh(plan: Plan) -> str:
    """The ``crm configure`` text."""
    out = [f"# {text}" for text in plan.comments]
    out.append(f"property cib-bootstrap-options: {_pairs(plan.properties)}")
    out.append(f"rsc_defaults rsc-options: {_pairs(plan.rsc_defaults)}")
    for rsc in plan.resources:
        if isinstance(rsc, Primitive):
            out += _primitive(rsc)
        elif isinstance(rsc, Group):
            for member in rsc.members:
                out += _primitive(member)
            out.append(f"group {rsc.id} {' '.join(m.id for m in rsc.members)}")
        elif isinstance(rsc, PromotableClone):
            out += _primitive(rsc.primitive)
            out.append(f"clone {rsc.id} {rsc.primitive.id} \\\n\tmeta {_pairs(rsc.meta)}")
    for loc in plan.locations:
        if loc.role:
            out.append(
                f"location {loc.id} {loc.rsc} rule $role={loc.role} {loc.score}: "
                f"#uname eq {loc.node}"
            )
        else:
            out.append(f"location {loc.id} {loc.rsc} {loc.score}: {loc.node}")
    for col in plan.colocations:
        out.append(f"colocation {col.id} inf: {col.rsc} {col.with_rsc}:{col.with_role}")
    for order in plan.orders:
        out.append(
            f"order {order.id} Mandatory: {order.first}:{order.first_action} "
            f"{order.then}:{order.then_action}"
        )
    return "\n".join(out) + "\n"
