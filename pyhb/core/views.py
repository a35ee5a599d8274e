"""The engine's read side: what ``cl_status``, the control socket and the API are shown
(``Engine.snapshot``, ``Engine.nodes_info``), built from the engine's tables.

Part of the engine; never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyhb.config.model import ClusterConfig
from pyhb.core.events import LinkStatus, NodeStatus
from pyhb.core.ownership import Ownership
from pyhb.core.peers import PeerTable
from pyhb.core.pingnodes import NodeInfo, PingTable
from pyhb.core.snapshot import GroupView, LinkView, NodeView, Snapshot


def nodes_info(
    local: str, status: NodeStatus, peers: PeerTable, pings: PingTable
) -> tuple[NodeInfo, ...]:
    """Every node's name, type and status: peers, ping nodes, then us."""
    own = (NodeInfo(local, "normal", status),)
    return tuple(NodeInfo(p.name, "normal", p.status) for p in peers) + pings.info() + own


def snapshot(
    config: ClusterConfig,
    local: str,
    status: NodeStatus,
    own_links: Mapping[str, LinkStatus],
    peers: PeerTable,
    pings: PingTable,
    ownership: Ownership,
) -> Snapshot:
    """What ``cl_status`` shows, in 3.0.6's node order (peers first, then us)."""
    views = {
        p.name: NodeView(
            p.name, p.status, tuple(LinkView(n, lk.status) for n, lk in p.links.items())
        )
        for p in peers
    }
    own = tuple(LinkView(n, s) for n, s in own_links.items())
    views[local] = NodeView(local, status, own)
    # 3.0.6 lists nodes in reverse ha.cf order (``node a b`` lists b, then a).
    nodes = tuple(views[n] for n in reversed(config.ha.node) if n in views)
    nodes = tuple(reversed(pings.views())) + nodes  # ping nodes: after the nodes
    groups = tuple(
        GroupView(g.key, g.node, ownership.state[g.key], ownership.errors.get(g.key))
        for g in ownership.groups.values()
    )
    return Snapshot(
        local_node=local,
        local_status=status,
        nodes=nodes,
        rscstatus=ownership.rscstatus(),
        groups=groups,
        params=dict(config.ha.params),
    )
