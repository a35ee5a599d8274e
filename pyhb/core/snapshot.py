"""The read-only view of the engine that ``cl_status`` and the control socket show.

Imports stdlib and ``pyhb.core.events`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyhb.core.events import LinkStatus, NodeStatus


@dataclass(frozen=True, slots=True)
class LinkView:
    name: str
    status: LinkStatus


@dataclass(frozen=True, slots=True)
class NodeView:
    name: str
    status: NodeStatus
    links: tuple[LinkView, ...]
    type: str = "normal"


@dataclass(frozen=True, slots=True)
class GroupView:
    """One haresources group as this node sees it.

    ``state`` is one of ``running``, ``stopped``, ``starting``, ``stopping``, ``failed``;
    ``error`` says what failed, if anything.
    """

    key: str
    node: str
    state: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything ``cl_status`` can ask. ``nodes`` is in heartbeat's listing order."""

    local_node: str
    local_status: NodeStatus
    nodes: tuple[NodeView, ...]
    rscstatus: str  # none / local / foreign / all / transition
    groups: tuple[GroupView, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    managed_by: str = "haresources"
