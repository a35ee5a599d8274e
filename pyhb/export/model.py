"""What an export says, independent of the output syntax (CIB, pcs or crmsh).

Imports stdlib and ``pyhb.config.source`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyhb.config.source import ConfigError, ConfigIssue, Severity

# rsc_location score of a group's preferred node; stickiness is set below or above it.
PREFERENCE_SCORE = 100
STICKY_FAILBACK_OFF = 200
STICKY_FAILBACK_ON = 0


class ExportError(ConfigError):
    """The configuration cannot be translated faithfully; carries every issue."""


def issue(path: str, line: int, message: str) -> ConfigIssue:
    return ConfigIssue(path, line, Severity.ERROR, message)


@dataclass(frozen=True, slots=True)
class Op:
    """One operation of a primitive (``monitor`` repeats every ``interval``); ``role``
    limits it to one role of a promotable clone."""

    name: str
    interval: str
    timeout: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class Primitive:
    id: str
    cls: str  # ocf, lsb, stonith
    type: str
    provider: str = ""
    params: tuple[tuple[str, str], ...] = ()
    ops: tuple[Op, ...] = ()
    source: str = ""  # the haresources word it came from
    note: str = ""  # a reviewer's comment, if any
    meta: tuple[tuple[str, str], ...] = ()  # meta attributes (from a pyhb.cf monitor)

    @property
    def agent(self) -> str:
        """``class:provider:type`` (or ``class:type``), as pcs and crmsh spell it."""
        return ":".join(p for p in (self.cls, self.provider, self.type) if p)


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    members: tuple[Primitive, ...]


@dataclass(frozen=True, slots=True)
class PromotableClone:
    """A DRBD resource: a promotable clone of ``ocf:linbit:drbd``."""

    id: str
    primitive: Primitive
    meta: tuple[tuple[str, str], ...]


Resource = Primitive | Group | PromotableClone


@dataclass(frozen=True, slots=True)
class Location:
    """An ``rsc_location``: ``score`` for running ``rsc`` (in ``role``, if given) on ``node``."""

    id: str
    rsc: str
    node: str
    score: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class Colocation:
    id: str
    rsc: str
    with_rsc: str
    with_role: str


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    first: str
    first_action: str
    then: str
    then_action: str


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the export writes; ``comments`` are shown at the top of every format."""

    properties: tuple[tuple[str, str], ...]
    rsc_defaults: tuple[tuple[str, str], ...]
    resources: tuple[Resource, ...] = ()  # in haresources order; fencing devices first
    locations: tuple[Location, ...] = ()
    colocations: tuple[Colocation, ...] = ()
    orders: tuple[Order, ...] = ()
    comments: tuple[str, ...] = field(default=())
