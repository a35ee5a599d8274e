"""Typed inputs to the engine (commands) and outputs from it (events and effects).

Commands are imperatives (``Standby``); events are past-tense facts
(``PeerStateChanged``); effects the shell must carry out are imperatives too
(``RunGroups``). Imports stdlib, ``pyhb.config.model`` and ``pyhb.wire.message`` only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyhb.wire.message import HaMessage

if TYPE_CHECKING:  # the tools import this module: they start without the configuration
    from pyhb.config.model import ResourceGroup


class NodeStatus(enum.StrEnum):
    """Heartbeat's node status words, as shown by ``cl_status nodestatus``."""

    INIT = "init"
    UP = "up"
    ACTIVE = "active"
    DEAD = "dead"
    PING = "ping"  # a ping node that answers (docs/pingnodes.md)


class LinkStatus(enum.StrEnum):
    UP = "up"
    DEAD = "dead"


class RscHold(enum.StrEnum):
    """A set of resource groups from one node's point of view (``rsc_hold=``)."""

    NONE = "none"
    LOCAL = "local"
    FOREIGN = "foreign"
    ALL = "all"


#: ``hb_takeover WORD`` -> the set asked of the peer. ``failback`` asks for our local
#: set back (3.0.6 asks for ``all``: docs/protocol.md#dep-takeover-failback).
TAKEOVER_SETS = {
    "all": RscHold.ALL,
    "foreign": RscHold.FOREIGN,
    "local": RscHold.LOCAL,
    "failback": RscHold.LOCAL,
}


# -- commands --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standby:
    """``hb_standby SET``: give SET (from our point of view) to the peer."""

    hold: RscHold


@dataclass(frozen=True, slots=True)
class Takeover:
    """``hb_takeover SET``: ask the peer to give us SET (from our point of view)."""

    hold: RscHold


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Graceful stop: release every group, tell the peers, then exit."""


@dataclass(frozen=True, slots=True)
class MonitorFailure:
    """A monitored resource of group ``key`` failed its check (docs/monitoring.md):
    restart ``resources[first:]`` in place, or with ``move`` hand the group to the peer
    (restarting in place when no peer can take it)."""

    key: str
    first: int
    move: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Cleanup:
    """``pyhb cleanup [GROUP]``: forget that GROUP (None: every group) failed here."""

    key: str | None = None


Command = Standby | Takeover | Shutdown | MonitorFailure | Cleanup


# -- events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeerStateChanged:
    """A node's status changed, as this node sees it (``dead`` once its deadtime ran out)."""

    node: str
    old: NodeStatus
    new: NodeStatus


@dataclass(frozen=True, slots=True)
class LinkStateChanged:
    node: str
    link: str
    new: LinkStatus


@dataclass(frozen=True, slots=True)
class HeartbeatLate:
    """A heartbeat came after warntime: ``interval_ms`` since the node's previous one,
    ``over_deadtime`` when the silence outlasted its deadtime too."""

    node: str
    interval_ms: int
    over_deadtime: bool


@dataclass(frozen=True, slots=True)
class LogLine:
    """A message the engine wants logged with heartbeat's exact wording."""

    level: int  # logging.INFO etc.
    text: str


class GroupAction(enum.StrEnum):
    TAKE = "takegroup"
    GIVE = "givegroup"
    ANNOUNCE = "announce"  # re-send gratuitous ARPs for the addresses of these groups
    RESTART = "restart"  # stop these (partial) groups right to left, start them again


@dataclass(frozen=True, slots=True)
class RunGroups:
    """Effect: acquire or release these groups, one after another, then report back
    with ``engine.script_finished(op_id, failed_keys, now)``.

    Takes run in the listed order, gives in reverse order; ANNOUNCE needs no report.
    RESTART carries groups cut down to the resources to restart: each is given, then
    taken again.
    """

    op_id: int
    action: GroupAction
    groups: tuple[ResourceGroup, ...]
    reason: str
    only_running: bool = False  # GIVE: stop only resources whose status says running


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """Something ``cl_status`` shows has changed."""


@dataclass(frozen=True, slots=True)
class OwnStatusesKnown:
    """Every medium has carried one of our packets back (its link is up, for good):
    the shell need no longer read back our steady statuses, whose bytes start with
    ``prefix`` (up to and including our ``srcuuid``). Sent again when it changes."""

    prefix: bytes


@dataclass(frozen=True, slots=True)
class ClusterMessage:
    """A message for this node (or all) for the client API (docs/api.md), from peer
    ``src`` (in order and authenticated) or sent by this node itself: every type but
    statuses and membership requests, which the engine answers itself (the API answers
    client-status queries)."""

    src: str
    msg: HaMessage


@dataclass(frozen=True, slots=True)
class ShutdownComplete:
    """Every group is released and the peers were told: the daemon may exit."""


@dataclass(frozen=True, slots=True)
class FencePeer:
    """Reset ``node`` with the configured STONITH devices, retrying until it succeeds
    or ``Engine.fence_wanted`` says no more; then report with ``Engine.fence_finished``."""

    node: str


Event = (
    PeerStateChanged
    | LinkStateChanged
    | HeartbeatLate
    | LogLine
    | RunGroups
    | StatusChanged
    | OwnStatusesKnown
    | ShutdownComplete
    | ClusterMessage
    | FencePeer
)
