"""A ``Plan`` as a complete CIB (``cibadmin --replace --xml-file``, ``crm_verify``).

The schema is ``pacemaker-3.9`` (Pacemaker 2.1.5; roles are ``Promoted``/``Unpromoted``);
``admin_epoch`` is 1 so that ``cibadmin --replace`` accepts it over the CIB of a freshly
started cluster (admin_epoch 0, whatever its epoch); ``epoch`` and ``num_updates`` start
the configuration's history. Nodes are
not listed: Pacemaker adds them from corosync's nodelist. Imports stdlib and
``export.model`` only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pyhb.export.model import Group, Plan, Primitive, PromotableClone, Resource

SCHEMA = "pacemaker-3.9"


def _nvpairs(parent: ET.Element, tag: str, owner: str, pairs: tuple[tuple[str, str], ...]) -> None:
    if not pairs:
        return
    set_id = f"{owner}-{'meta' if tag == 'meta_attributes' else 'params'}"
    block = ET.SubElement(parent, tag, id=set_id)
    for name, value in pairs:
        ET.SubElement(block, "nvpair", id=f"{set_id}-{name}", name=name, value=value)


def _primitive(parent: ET.Element, prim: Primitive) -> None:
    attrs = {"id": prim.id, "class": prim.cls}
    if prim.provider:
        attrs["provider"] = prim.provider
    attrs["type"] = prim.type
    if prim.source:
        parent.append(ET.Comment(f" haresources: {prim.source} "))
    elem = ET.SubElement(parent, "primitive", attrs)
    _nvpairs(elem, "instance_attributes", prim.id, prim.params)
    _nvpairs(elem, "meta_attributes", prim.id, prim.meta)
    if prim.ops:
        ops = ET.SubElement(elem, "operations")
        for op in prim.ops:
            op_id = f"{prim.id}-{op.name}-{op.interval}" + (f"-{op.role}" if op.role else "")
            op_attrs = {
                "id": op_id,
                "name": op.name,
                "interval": op.interval,
                "timeout": op.timeout,
            }
            if op.role:
                op_attrs["role"] = op.role
            ET.SubElement(ops, "op", op_attrs)


def _resource(parent: ET.Element, rsc: Resource) -> None:
    if isinstance(rsc, Primitive):
        _primitive(parent, rsc)
    elif isinstance(rsc, Group):
        group = ET.SubElement(parent, "group", id=rsc.id)
        for member in rsc.members:
            _primitive(group, member)
    elif isinstance(rsc, PromotableClone):
        clone = ET.SubElement(parent, "clone", id=rsc.id)
        _nvpairs(clone, "meta_attributes", rsc.id, rsc.meta)
        _primitive(clone, rsc.primitive)


def render_cib(plan: Plan) -> str:
    """The CIB XML text (with a trailing newline)."""
    cib = ET.Element(
        "cib", {"validate-with": SCHEMA, "admin_epoch": "1", "epoch": "1", "num_updates": "0"}
    )
    config = ET.SubElement(cib, "configuration")
    crm_config = ET.SubElement(config, "crm_config")
    for text in plan.comments:
        crm_config.append(ET.Comment(f" {text} "))
    props = ET.SubElement(crm_config, "cluster_property_set", id="cib-bootstrap-options")
    for name, value in plan.properties:
        ET.SubElement(props, "nvpair", id=f"cib-bootstrap-options-{name}", name=name, value=value)
    ET.SubElement(config, "nodes")
    resources = ET.SubElement(config, "resources")
    for rsc in plan.resources:
        _resource(resources, rsc)
    constraints = ET.SubElement(config, "constraints")
    for loc in plan.locations:
        if loc.role:  # a role needs a rule (the form pcs and crmsh write too)
            elem = ET.SubElement(constraints, "rsc_location", id=loc.id, rsc=loc.rsc)
            rule = ET.SubElement(elem, "rule", id=f"{loc.id}-rule", role=loc.role, score=loc.score)
            ET.SubElement(
                rule,
                "expression",
                id=f"{loc.id}-rule-expr",
                attribute="#uname",
                operation="eq",
                value=loc.node,
            )
        else:
            ET.SubElement(
                constraints, "rsc_location", id=loc.id, rsc=loc.rsc, node=loc.node, score=loc.score
            )
    for col in plan.colocations:
        ET.SubElement(
            constraints,
            "rsc_colocation",
            {
                "id": col.id,
                "rsc": col.rsc,
                "with-rsc": col.with_rsc,
                "with-rsc-role": col.with_role,
                "score": "INFINITY",
            },
        )
    for order in plan.orders:
        ET.SubElement(
            constraints,
            "rsc_order",
            {
                "id": order.id,
                "first": order.first,
                "first-action": order.first_action,
                "then": order.then,
                "then-action": order.then_action,
                "kind": "Mandatory",
            },
        )
    defaults = ET.SubElement(config, "rsc_defaults")
    _nvpairs(defaults, "meta_attributes", "rsc-options", plan.rsc_defaults)
    ET.SubElement(cib, "status")
    ET.indent(cib)
    return ET.tostring(cib, encoding="unicode") + "\n"
