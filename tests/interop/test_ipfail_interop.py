"""ipfail in a mixed cluster: a pyhb node and a Heartbeat 3.0.6 node, each respawning the
package's ipfail; the pyhb node loses its ping node and gives the group to the 3.0.6 node.
Runs once pyhb serves the heartbeat client API (``pyhb.api``) that ipfail talks to.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyhb.lab.cluster import Cluster
from tests.integration.test_ipfail import IPFAIL, ipfail_lines, lose_ping_node_and_move

pytestmark = [
    pytest.mark.netns,
    pytest.mark.interop,
]


def test_ipfail_moves_the_group_from_pyhb_to_heartbeat_3_0_6(
    make_cluster: Callable[..., Cluster],
) -> None:
    # 3.0.6 refuses a respawn program that does not exist: the package's own path here.
    cluster = make_cluster(
        real={"b"}, keepalive="500ms", deadtime="2", auto_failback="off", extra=ipfail_lines(IPFAIL)
    )
    took = lose_ping_node_and_move(cluster)
    print(f"group moved {took:.2f} s after the ping node became unreachable from a")
