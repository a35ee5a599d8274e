"""Heartbeat 3.0.6's wire format: messages, their byte codecs, and authentication.

Pure code: nothing here opens sockets, reads the clock or runs processes (must not import
asyncio, socket, subprocess, time or random). ``decode`` raises only ``DecodeError``;
``Verifier.verify`` raises only ``DecodeError`` or ``AuthError``.
"""

from __future__ import annotations

from pyhb.wire.auth import Signer, Verifier, digest
from pyhb.wire.errors import AuthError, DecodeError
from pyhb.wire.message import (
    Decoded,
    HaMessage,
    Opaque,
    classic_text,
    decode,
    encode_body,
    encode_classic,
)

__all__ = [
    "AuthError",
    "DecodeError",
    "Decoded",
    "HaMessage",
    "Opaque",
    "Signer",
    "Verifier",
    "classic_text",
    "decode",
    "digest",
    "encode_body",
    "encode_classic",
]
