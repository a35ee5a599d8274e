"""What the parts of ``Ownership`` (``standby``, ``legacy``, ``monitored``) may use of it.

- ``Owner`` is the common ground: the node, the peer, the held groups, messages, log
  lines, and one group operation at a time (``Op``). Each part adds, in its own
  protocol, the few members only it needs; ``Ownership`` satisfies them all.
- ``run`` starts one operation; ``then(failed_keys)`` runs when it finishes, before the
  next ``evaluate``. ``clean_up`` stops stale copies (only the groups that still run).

Imports stdlib, ``pyhb.config.model`` and the core's ``events`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

from pyhb.core.events import GroupAction

Then = Callable[[frozenset[str]], None]


@dataclass(slots=True)
class Op:
    op_id: int
    action: GroupAction
    keys: tuple[str, ...]
    then: Then


class Owner(Protocol):
    """The members of ``Ownership`` every part may use."""

    local: str
    peer: str | None
    peer_alive: bool
    held: set[str]

    @property
    def busy(self) -> Op | None: ...

    def send(self, mtype: str, fields: list[tuple[str, str]], dest: str | None) -> None: ...

    def log_line(self, level: int, text: str) -> None: ...

    def evaluate(self, now: float) -> None: ...

    def eligible(self, keys: Collection[str], why: str) -> set[str]: ...

    def run(self, action: GroupAction, keys: Collection[str], reason: str, then: Then) -> None: ...

    def clean_up(self, keys: Collection[str], then: Then) -> None: ...
