"""The framing of 3.0.6's client API socket (docs/api.md).

Every message is an 8-byte header, ``{int32 length; uint32 magic = 0xabcd}`` in the
host's byte order, then ``length`` bytes of body: one heartbeat message in classic text
(``>>>\\n`` ... ``<<<\\n``) followed by a NUL, which ``length`` counts. Replies are
written the same way; bodies are read in either text form ``wire.message`` decodes, and
classic text may carry empty values here (3.0.6 answers ``nodesite`` with ``site=``).
"""

from __future__ import annotations

import base64
import binascii
import struct

from pyhb.wire.errors import DecodeError
from pyhb.wire.fields import CLASSIC_END, CLASSIC_START, MAX_DATAGRAM, TEXT_ENCODING, TEXT_ERRORS
from pyhb.wire.message import HaMessage, Pair, decode, encode_classic

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
    text = body.rstrip(b"\0")
    if text.startswith(CLASSIC_START):
        return _classic(text)
    try:
        return decode(text).message
    except DecodeError as exc:
        raise FrameError(str(exc)) from exc


def _classic(text: bytes) -> HaMessage:
    fields: list[Pair] = []
    lines = text[len(CLASSIC_START) :].split(b"\n")
    for n, line in enumerate(lines, 1):
        if line.startswith(CLASSIC_END):
            return HaMessage(tuple(fields))
        if not line:
            continue
        name, eq, raw = line.partition(b"=")
        if not eq or not name or b"\0" in line:
            raise FrameError(f"line {n}: not a name=value field")
        if name.startswith(b"(1)") and len(name) > 3:
            try:
                fields.append((_text(name[3:]), base64.b64decode(raw, validate=True)))
            except (binascii.Error, ValueError) as exc:
                raise FrameError(f"line {n}: bad base64 in binary field") from exc
        elif name.startswith(b"("):
            raise FrameError(f"line {n}: only binary '(1)name=' fields may carry a type")
        else:
            fields.append((_text(name), _text(raw)))
    raise FrameError("classic message not terminated by <<<")


def _text(raw: bytes) -> str:
    return raw.decode(TEXT_ENCODING, TEXT_ERRORS)
