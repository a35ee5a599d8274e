"""Fault scenarios: real daemons in namespaces (``netns``), hostile input, config abuse.

The namespace fixtures are the integration suite's; measurements go to the directory named
by ``PYHB_RESULTS_DIR`` (see ``harness.record``) for ``python -m bench.soak --report``.
"""

from __future__ import annotations

from tests.integration.conftest import make_cluster, make_lab, netns_ready

__all__ = ["make_cluster", "make_lab", "netns_ready"]
