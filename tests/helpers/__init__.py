"""Helpers importable by every test suite."""

from tests.helpers.netns import Lab, Node, cleanup_stale, netns_available  # noqa: F401
