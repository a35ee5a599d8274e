"""Errors of the wire layer: the peer sent something bad.

``DecodeError``: the bytes are not a heartbeat message (bad framing, bad netstring, too
large). ``AuthError``: the bytes are a message, but its authentication is missing, names an
unknown key index, or does not match. Neither ever carries key material.
Imports ``pyhb.errors`` only.
"""

from __future__ import annotations

from pyhb.errors import PyhbError


class DecodeError(PyhbError):
    """The datagram cannot be parsed as a heartbeat message."""


class AuthError(PyhbError):
    """The message's authentication is missing, malformed or wrong."""
