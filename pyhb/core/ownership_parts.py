"""What ``Ownership`` provides to the parts it is made of (``standby``, ``legacy``).

Each part is a mixin of ``Ownership``; this base declares, once, the state and the one
operation they all use, so that each part is type-checked on its own. Imports the core's
events only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from pyhb.core.events import GroupAction


class OwnershipPart:
    """The members of ``Ownership`` that its parts use."""

    local: str
    peer: str | None
    peer_alive: bool
    held: set[str]
    busy: object
    now: float
    _send: Callable[[str, list[tuple[str, str]], str | None], None]
    _log: Callable[[int, str], None]

    def run(
        self,
        action: GroupAction,
        keys: Collection[str],
        reason: str,
        then: Callable[[frozenset[str]], None],
        *,
        only_running: bool = False,
    ) -> None:
        """Start one group operation; ``then(failed_keys)`` runs when it finishes."""
        raise NotImplementedError
