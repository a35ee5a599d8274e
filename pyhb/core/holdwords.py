"""Heartbeat's ``rsc_hold`` words and the group keys they stand for.

- A word speaks from one node's point of view: ``local`` is the groups whose
  haresources line names that node, ``foreign`` all the others, ``all`` both, ``none``
  nothing; any other word means nothing.
- A node that has no group of one kind still says it holds that kind while it claims it
  (3.0.6 holds words, not groups): the claim alone is given back or taken over.

Imports stdlib, ``pyhb.config.model`` and the core's ``events`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

from pyhb.config.model import ResourceGroup
from pyhb.core.events import RscHold


def keys_meant(groups: Mapping[str, ResourceGroup], word: str, node: str) -> frozenset[str]:
    """The group keys ``word`` means, from ``node``'s point of view."""
    try:
        hold = RscHold(word)
    except ValueError:
        return frozenset()  # not a set word: nothing
    mine = frozenset(k for k, g in groups.items() if g.node == node)
    match hold:
        case RscHold.ALL:
            return frozenset(groups)
        case RscHold.LOCAL:
            return mine
        case RscHold.FOREIGN:
            return frozenset(groups) - mine
        case RscHold.NONE:
            return frozenset()
        case unreachable:
            assert_never(unreachable)


def word_for(
    keys: frozenset[str], local: frozenset[str], foreign: frozenset[str], claims: tuple[bool, bool]
) -> RscHold:
    """The word for holding ``keys``, given the node's ``local`` and ``foreign`` groups
    and its claims on each kind (local, foreign)."""
    has_local = bool(keys & local) or (not local and claims[0])
    has_foreign = bool(keys & foreign) or (not foreign and claims[1])
    if has_local and has_foreign:
        return RscHold.ALL
    if has_local:
        return RscHold.LOCAL
    if has_foreign:
        return RscHold.FOREIGN
    return RscHold.NONE
