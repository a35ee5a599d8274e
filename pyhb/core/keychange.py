"""Changing the active key away from crc without losing the peers that still use it.

On input pyhb accepts the active key and the other md5/sha1 keys of authkeys, never a crc
key that is not the active one (``AuthKeys.accepts``; docs/authkeys.md). A cluster that
moves from crc to sha1 changes ``auth N`` one node at a time: the first node to reload
signs with sha1 while the others still sign with crc. So after a reload that takes the
active key off crc, the old crc key stays accepted for ``GRACE`` seconds, long enough to
reload the other nodes; the cluster was no better protected than crc before the change.

While the grace lasts the engine verifies with ``grace_verifier``'s verifier, which
accepts the old key besides the usual ones; at its end the engine's timer puts the plain
verifier back (``Keys``, the engine's verifier and its grace). Imports
``pyhb.config.model`` and ``pyhb.wire`` only.
"""

from __future__ import annotations

from pyhb.config.model import AuthKeys, AuthMethod
from pyhb.wire.auth import Verifier

GRACE = 600.0  # seconds


def grace_verifier(old: AuthKeys, new: AuthKeys) -> Verifier | None:
    """A verifier that also accepts ``old``'s crc key, when ``new`` took the active key
    off it and still lists it; None when no grace is due."""
    previous = old.outbound
    if previous.method is not AuthMethod.CRC or new.active == previous.index:
        return None
    if new.get(previous.index) != previous:
        return None  # the old key is gone from the file: nothing to accept
    return Verifier(new, also_accept=frozenset({previous.index}))


class Keys:
    """The verifier received datagrams are checked with, and when a key change's grace
    ends (``grace_until``, one of the engine's deadlines)."""

    def __init__(self, authkeys: AuthKeys) -> None:
        self.verifier = Verifier(authkeys)
        self.grace_until: float | None = None

    def reload(self, old: AuthKeys, new: AuthKeys, t: float) -> str | None:
        """The authkeys changed from ``old`` to ``new`` at ``t``: the warning to log if
        ``old``'s crc key stays accepted for ``GRACE`` seconds, else None."""
        self.verifier = Verifier(new)
        self.grace_until = None
        grace = grace_verifier(old, new)
        if grace is None:
            return None
        self.verifier = grace
        self.grace_until = t + GRACE
        return (
            f"Active key changed from crc key {old.active}: packets signed with it are "
            f"accepted for {GRACE:.0f} s more, while the other nodes change theirs"
        )

    def timer(self, t: float, authkeys: AuthKeys) -> str | None:
        """At ``t``: the line to log if the grace just ended (only ``authkeys`` count)."""
        if self.grace_until is None or t < self.grace_until:
            return None
        self.grace_until = None
        self.verifier = Verifier(authkeys)
        return "Key change grace over: only the keys of authkeys count"
