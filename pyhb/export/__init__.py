"""``pyhb export``: a pyhb / Heartbeat v1 configuration as Pacemaker + Corosync input.

``plan.build_plan`` turns a loaded ``ClusterConfig`` into a ``Plan`` (primitives, groups,
promotable clones, constraints, properties); ``cib``, ``pcs`` and ``crmsh`` render that one
plan as CIB XML, ``pcs -f`` commands or ``crm configure`` text, and ``corosync`` writes a
corosync.conf for the same nodes. Anything that cannot be translated faithfully raises
``ExportError`` naming ``path:line``. See docs/export.md.
"""
