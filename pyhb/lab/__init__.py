"""A throw-away multi-node network lab in Linux namespaces (tests and ``pyhb demo``).

Nothing here is used by the daemon. Imports stdlib and ``pyhb.errors`` only.
"""
