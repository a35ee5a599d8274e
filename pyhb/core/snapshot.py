"""The read-only view of the engine that ``cl_status`` and the control socket show.

Imports stdlib and ``pyhb.core.events`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyhb.core.events import LinkStatus, NodeStatus


@dataclass(frozen=True, slots=True)
class LinkView:
    """One medium to a node, as ``listhblinks -v`` shows it (a ping node's is its name)."""

    name: str
    status: LinkStatus


@dataclass(frozen=True, slots=True)
class NodeView:
    """One node, with its links; ``type`` is ``normal`` or ``ping``."""

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
class MonitorView:
    """One resource's monitor state, as the resource monitor reports it (docs/status.md).

    ``last_check`` is the wall-clock time (seconds since the epoch) of the last check and
    ``last_ok`` its verdict (both None before the first check); ``failures`` counts the
    failed checks within the last ``window`` seconds; ``restarts`` the restarts the monitor
    made; ``cleared`` is False while the resource is held failed until an operator clears it.
    """

    last_check: float | None
    last_ok: bool | None
    failures: int
    window: float
    restarts: int
    cleared: bool


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
