"""Helpers shared by the interop tests."""

from __future__ import annotations

import re

from pyhb.lab.cluster import Cluster

# Either implementation's word for "the two nodes disagree about who holds what".
DISAGREEMENT = re.compile(
    r"Both machines own|No one owns|in flux|Ignored standby message|standby message .* ignored"
)


def disagreements(cluster: Cluster) -> list[str]:
    """Ownership-handshake complaints in any node's ha-log."""
    return [
        line
        for name in cluster.lab.nodes
        for line in cluster.ha_log(name).splitlines()
        if DISAGREEMENT.search(line)
    ]
