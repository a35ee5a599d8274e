"""Changing the active key away from crc without losing the peers that still use it.

On input pyhb accepts the active key and the other md5/sha1 keys of authkeys, never a crc
key that is not the active one (``AuthKeys.accepts``; docs/authkeys.md). A cluster that
moves from crc to sha1 changes ``auth N`` one node at a time: the first node to reload
signs with sha1 while the others still sign with crc. So after a reload that takes the
active key off crc, the old crc key stays accepted for ``GRACE`` seconds, long enough to
reload the other nodes; the cluster was no better protected than crc before the change.

Only the failure path consults it: a packet the current keys refuse is tried against
the old key while the grace lasts. Imports ``pyhb.config.model`` and ``pyhb.wire`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyhb.config.model import AuthKeys, AuthMethod
from pyhb.wire.auth import Verifier

GRACE = 600.0  # seconds


@dataclass(frozen=True, slots=True)
class KeyChange:
    """The old crc key, accepted until ``until`` (monotonic seconds)."""

    verifier: Verifier
    until: float

    @classmethod
    def after_reload(cls, old: AuthKeys, new: AuthKeys, now: float) -> KeyChange | None:
        """The grace to give after ``old`` was replaced by ``new``, if any."""
        previous = old.outbound
        if previous.method is not AuthMethod.CRC or new.active == previous.index:
            return None
        if new.get(previous.index) != previous:
            return None  # the old key is gone from the file: nothing to accept
        return cls(Verifier(new, also_accept=frozenset({previous.index})), now + GRACE)

    def active(self, now: float) -> bool:
        return now < self.until
