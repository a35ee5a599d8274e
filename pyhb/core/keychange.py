"""Changing the active key away from crc without losing the peers that still use it.

On input pyhb accepts the active key and the other md5/sha1 keys of authkeys, never a crc
key that is not the active one (``AuthKeys.accepts``; docs/authkeys.md). A cluster that
moves from crc to sha1 changes ``auth N`` one node at a time: the first node to reload
signs with sha1 while the others still sign with crc. So after a reload that takes the
active key off crc, the old crc key stays accepted for ``GRACE`` seconds, long enough to
reload the other nodes; the cluster was no better protected than crc before the change.

While the grace lasts the engine verifies with ``grace_verifier``'s verifier, which
accepts the old key besides the usual ones; at its end the engine's timer puts the plain
verifier back. Imports ``pyhb.config.model`` and ``pyhb.wire`` only.
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
