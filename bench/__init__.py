"""Benchmarks of pyhb side by side with Heartbeat 3.0.6 (root only; see bench/README.md)."""
