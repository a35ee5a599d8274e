"""pyhb: a pure-Python, drop-in replacement for the Linux-HA Heartbeat v1 daemon."""

__version__ = "0.1.0"
