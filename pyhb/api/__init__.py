"""Heartbeat 3.0.6's client API on ``/run/heartbeat/register`` (docs/api.md)."""
