"""The framing of 3.0.6's client API socket (docs/api.md).

Every message is an 8-byte header, ``{int32 length; uint32 magic = 0xabcd}`` in the
host's byte order, then ``length`` bytes of body: one heartbeat message in classic text
(``>>>\\n`` ... ``<<<\\n``) followed by a NUL, which ``length`` counts. Replies are
written the same way; bodies are read in either text form ``wire.message`` decodes.
"""

from __future__ import annotations

import struct

from pyhb.wire.errors import DecodeError
from pyhb.wire.fields import MAX_DATAGRAM
from pyhb.wire.message import HaMessage, decode, encode_classic

MAGIC = 0xABCD
HEADER = struct.Struct("=iI")
MAX_BODY = MAX_DATAGRAM  # 3.0.6 refuses larger messages as well


class FrameError(ValueError):
    """Bytes that are not a message of the API protocol."""


def encode(msg: HaMessage) -> bytes:
    """One framed message, as 3.0.6 writes it."""
    body = encode_classic(msg) + b"\0"
    return HEADER.pack(len(body), MAGIC) + body


def body_length(header: bytes) -> int:
    """The body length a header announces.

    Raises:
        FrameError: a wrong magic number, or a length out of range.
    """
    length: int
    magic: int
    length, magic = HEADER.unpack(header)
    if magic != MAGIC:
        raise FrameError(f"bad magic number {magic:#x} (expected {MAGIC:#x})")
    if not 0 < length <= MAX_BODY:
        raise FrameError(f"message length {length} out of range (1-{MAX_BODY})")
    return length


def decode_body(body: bytes) -> HaMessage:
    """The message of one body (trailing NULs ignored).

    Raises:
        FrameError: it is not a well-formed message.
    """
    try:
        return decode(body.rstrip(b"\0")).message
    except DecodeError as exc:
        raise FrameError(str(exc)) from exc
