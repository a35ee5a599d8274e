"""``HaMessage`` (heartbeat's ordered name/value message) and its byte codecs.

Owns the two on-wire renderings of heartbeat 3.0.6 (docs/protocol.md#framing):

* netstring framing, what 3.0.6 always sends over UDP: ``###\\n`` + one netstring
  ``LEN:(T)NAME=VALUE,`` per field + ``%%%\\n`` + the trailer netstring (added by
  ``wire.auth``);
* classic text framing: ``>>>\\n`` + ``name=value\\n`` lines + ``<<<\\n``. Its inner lines
  (without the markers) are also the text the embedded ``auth`` field signs.

Decoding is pure and hostile-input safe: ``decode`` raises only ``DecodeError``. Field names
and string values are held as str decoded with utf-8/surrogateescape, so encoding a decoded
message reproduces the original bytes exactly.
Must not import asyncio, socket, subprocess, time or random.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pyhb.wire.errors import DecodeError
from pyhb.wire.fields import (
    CLASSIC_END,
    CLASSIC_LF_SUBSTITUTE,
    CLASSIC_START,
    F_AUTH,
    F_TYPE,
    FT_BINARY,
    FT_STRING,
    FT_STRUCT,
    FT_UNCOMPRESS,
    MAX_DATAGRAM,
    NETSTRING_END,
    NETSTRING_START,
    TEXT_ENCODING,
    TEXT_ERRORS,
)

# 65535 has five digits: a longer length can never fit in a datagram.
_MAX_LEN_DIGITS = 5
# "(T)" + at least one name byte + "="
_MIN_FIELD_LEN = 5


@dataclass(frozen=True, slots=True)
class Opaque:
    """A field of a type pyhb does not interpret (2-5: struct, list, compressed ...).

    The raw value bytes are kept with the type digit so re-encoding is exact.
    """

    ftype: int
    raw: bytes

    def __post_init__(self) -> None:
        if not FT_STRUCT <= self.ftype <= FT_UNCOMPRESS:
            raise ValueError(f"opaque field type must be 2-5, not {self.ftype}")


Value = str | bytes | Opaque
Pair = tuple[str, Value]


def _to_bytes(text: str) -> bytes:
    return text.encode(TEXT_ENCODING, TEXT_ERRORS)


def _to_text(raw: bytes) -> str:
    return raw.decode(TEXT_ENCODING, TEXT_ERRORS)


def _check_pair(pair: object) -> Pair:
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise TypeError(f"a field is a (name, value) pair, not {pair!r}")
    name, value = pair
    if not isinstance(name, str):
        raise TypeError(f"field name must be str, not {type(name).__name__}")
    if not isinstance(value, str | bytes | Opaque):
        raise TypeError(f"field {name!r}: value must be str, bytes or Opaque")
    if not name or "=" in name or "\0" in name:
        raise ValueError(f"invalid field name {name!r}: empty, or contains '=' or NUL")
    _to_bytes(name)  # raises UnicodeEncodeError (a ValueError) for unencodable names
    return (name, value)


@dataclass(frozen=True, slots=True)
class HaMessage:
    """An ordered list of heartbeat fields; names may repeat, lookups return the first.

    A value is ``str`` (type 0 string), ``bytes`` (type 1 binary) or ``Opaque`` (types 2-5).
    """

    fields: tuple[Pair, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(_check_pair(p) for p in self.fields))

    @classmethod
    def _trusted(cls, fields: tuple[Pair, ...]) -> HaMessage:
        """A message from pairs already known valid (built by the decoder or from a
        valid message), skipping the per-field checks of the public constructor."""
        msg = object.__new__(cls)
        object.__setattr__(msg, "fields", fields)
        return msg

    @classmethod
    def of(cls, *pairs: Pair) -> HaMessage:
        """Build a message from ``(name, value)`` pairs, in order."""
        return cls(pairs)

    @property
    def type(self) -> str | None:
        """The message type (field ``t``)."""
        return self.get(F_TYPE)

    def get(self, name: str) -> str | None:
        """The first string field called ``name``, or None."""
        for n, v in self.fields:
            if n == name and isinstance(v, str):
                return v
        return None

    def get_bytes(self, name: str) -> bytes | None:
        """The first binary (type 1) field called ``name``, or None."""
        for n, v in self.fields:
            if n == name and isinstance(v, bytes):
                return v
        return None

    def names(self) -> tuple[str, ...]:
        """Field names in wire order (repeats included)."""
        return tuple(n for n, _ in self.fields)

    def __contains__(self, name: object) -> bool:
        return any(n == name for n, _ in self.fields)

    def with_fields(self, *pairs: Pair) -> HaMessage:
        """A copy where each pair overwrites the first field of its name in place, or is
        appended if the name is absent."""
        fields = list(self.fields)
        for name, value in (_check_pair(p) for p in pairs):  # ours are checked already
            for i, (n, _) in enumerate(fields):
                if n == name:
                    fields[i] = (name, value)
                    break
            else:
                fields.append((name, value))
        return HaMessage._trusted(tuple(fields))

    def without(self, name: str) -> HaMessage:
        """A copy without any field called ``name``."""
        return HaMessage._trusted(tuple(p for p in self.fields if p[0] != name))


@dataclass(frozen=True, slots=True)
class Decoded:
    """A parsed datagram.

    ``signed`` is what authentication covers: for netstring framing the raw bytes from
    ``###\\n`` through ``%%%\\n``; for classic framing the classic text of the fields
    without ``auth``. ``trailer`` is the token of the trailer netstring after ``%%%\\n``
    (``"1 22d4..."``), or None when it is absent or not a well-formed netstring (always
    None for classic framing). Nothing here is authenticated yet: see ``wire.auth``.
    """

    message: HaMessage
    framing: Literal["netstring", "classic"]
    signed: bytes
    trailer: str | None


# --- encoding ---------------------------------------------------------------------------


def _type_and_raw(value: Value) -> tuple[int, bytes]:
    if isinstance(value, str):
        return FT_STRING, _to_bytes(value)
    if isinstance(value, bytes):
        return FT_BINARY, value
    return value.ftype, value.raw


def encode_netstring(item: bytes) -> bytes:
    """``LEN:ITEM,`` with LEN in decimal, no leading zeros."""
    return b"%d:%s," % (len(item), item)


def encode_body(msg: HaMessage) -> bytes:
    """``###\\n`` + one ``LEN:(T)NAME=VALUE,`` netstring per field + ``%%%\\n``."""
    parts = [NETSTRING_START]
    for name, value in msg.fields:
        ftype, raw = _type_and_raw(value)
        parts.append(encode_netstring(b"(%d)%s=%s" % (ftype, _to_bytes(name), raw)))
    parts.append(NETSTRING_END)
    return b"".join(parts)


def encode_pairs(
    pairs: Iterable[tuple[str, str | bytes]], *, with_classic: bool
) -> tuple[list[bytes], bytes]:
    """The body netstrings of ``pairs`` and (if ``with_classic``) their classic text,
    in one pass: what ``encode_body`` and ``classic_text`` give for ``HaMessage(pairs)``.

    For pairs pyhb builds itself (valid names; str or bytes values): they are not
    checked here. ``auth`` is neither skipped nor added.
    """
    items: list[bytes] = []
    lines: list[bytes] = []
    for name, value in pairs:
        raw_name = name.encode(TEXT_ENCODING, TEXT_ERRORS)
        if isinstance(value, str):
            raw = value.encode(TEXT_ENCODING, TEXT_ERRORS)
            item = b"(0)%s=%s" % (raw_name, raw)
            if with_classic:
                lines.append(b"%s=%s\n" % (raw_name, raw.replace(b"\n", CLASSIC_LF_SUBSTITUTE)))
        else:
            item = b"(1)%s=%s" % (raw_name, value)
            if with_classic:
                lines.append(b"(1)%s=%s\n" % (raw_name, base64.b64encode(value)))
        items.append(b"%d:%s," % (len(item), item))
    return items, b"".join(lines)


def classic_text(msg: HaMessage, skip: Iterable[str] = (F_AUTH,)) -> bytes:
    """The classic text of the fields not in ``skip``: what the embedded auth signs.

    String ``name=value\\n`` (an LF inside the value written as 0x13); binary
    ``(1)name=<base64>\\n``. Types 2-5 never occur in v1 traffic; pyhb writes them as
    ``(T)name=<base64 of the raw value>\\n``.
    """
    skipped = frozenset(skip)
    out = []
    for name, value in msg.fields:
        if name in skipped:
            continue
        if isinstance(value, str):
            raw = _to_bytes(value).replace(b"\n", CLASSIC_LF_SUBSTITUTE)
            out.append(b"%s=%s\n" % (_to_bytes(name), raw))
        else:
            ftype, raw = _type_and_raw(value)
            out.append(b"(%d)%s=%s\n" % (ftype, _to_bytes(name), base64.b64encode(raw)))
    return b"".join(out)


def encode_classic(msg: HaMessage) -> bytes:
    """``>>>\\n`` + the classic text of every field (``auth`` included) + ``<<<\\n``."""
    return CLASSIC_START + classic_text(msg, skip=()) + CLASSIC_END + b"\n"


# --- decoding ---------------------------------------------------------------------------


def decode(data: bytes | bytearray | memoryview) -> Decoded:
    """Parse one datagram (netstring or classic framing).

    Raises:
        DecodeError: for anything that is not a well-formed message (and only that).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"datagram must be bytes, not {type(data).__name__}")
    buf = bytes(data)
    if len(buf) > MAX_DATAGRAM:
        raise DecodeError(f"datagram of {len(buf)} bytes exceeds {MAX_DATAGRAM}")
    if buf.startswith(NETSTRING_START):
        return _decode_netstring(buf)
    if buf.startswith(CLASSIC_START):
        return _decode_classic(buf)
    raise DecodeError("no message start marker (###\\n or >>>\\n)")


# How two kinds of datagram begin in the netstring format, byte for byte, as every node
# (3.0.6 included) writes them: an acknowledgement, and a node's steady "I am active"
# status. The kernel filters of net.filters and the reading below match them as bytes.
ACK_PREFIX = b"###\n14:(0)t=NS_ackmsg,"
STEADY_PREFIX = b"###\n11:(0)t=status,12:(0)st=active,"
DEST_FIELD = b"(0)dest="


def peek_ack_dest(buf: bytes) -> bytes | None:
    """The ``dest`` of an ``NS_ackmsg`` laid out as 3.0.6 and pyhb send it (``t`` first,
    ``dest`` second), read without decoding the rest; None for anything else.

    Lets a receiver drop acknowledgements meant for another node cheaply: nothing in
    them concerns it. Nothing here is authenticated.
    """
    if not buf.startswith(ACK_PREFIX):
        return None
    pos = len(ACK_PREFIX)
    colon = buf.find(b":", pos, pos + _MAX_LEN_DIGITS + 1)
    if colon < 0 or not buf[pos:colon].isdigit():
        return None
    end = colon + 1 + int(buf[pos:colon])
    if end >= len(buf) or buf[end] != 0x2C or not buf.startswith(DEST_FIELD, colon + 1):
        return None
    return buf[colon + 1 + len(DEST_FIELD) : end]


def _peel_netstring(buf: bytes, pos: int) -> tuple[int, int]:
    """Find the netstring at ``pos``: returns (content start, content end); the comma is
    at content end.

    The length is digits only, without leading zeros: 3.0.6 never sends them, and refusing
    them keeps decode/encode byte-exact.
    """
    colon = buf.find(b":", pos, pos + _MAX_LEN_DIGITS + 1)
    if colon < 0:
        raise DecodeError(f"offset {pos}: expected a netstring length and ':'")
    digits = buf[pos:colon]
    if not digits.isdigit() or (len(digits) > 1 and digits.startswith(b"0")):
        raise DecodeError(f"offset {pos}: bad netstring length {digits!r}")
    start = colon + 1
    end = start + int(digits)
    if end >= len(buf):
        raise DecodeError(f"offset {pos}: netstring of {int(digits)} bytes is truncated")
    if buf[end] != ord(","):
        raise DecodeError(f"offset {pos}: netstring not terminated by ','")
    return start, end


def _parse_field(item: bytes, pos: int) -> Pair:
    """``(T)NAME=VALUE`` -> (name, value)."""
    if len(item) < _MIN_FIELD_LEN or item[0] != ord("(") or item[2] != ord(")"):
        raise DecodeError(f"offset {pos}: field is not '(T)NAME=VALUE'")
    ftype = item[1] - ord("0")
    if not FT_STRING <= ftype <= FT_UNCOMPRESS:
        raise DecodeError(f"offset {pos}: unknown field type {chr(item[1])!r}")
    eq = item.find(b"=", 3)
    if eq < 0:
        raise DecodeError(f"offset {pos}: field without '='")
    name = item[3:eq]
    if not name or b"\0" in name:
        raise DecodeError(f"offset {pos}: empty field name or NUL in name")
    raw = item[eq + 1 :]
    value: Value
    if ftype == FT_STRING:
        value = _to_text(raw)
    elif ftype == FT_BINARY:
        value = raw
    else:
        value = Opaque(ftype, raw)
    return (_to_text(name), value)


# The common field, "LEN:(0)NAME=" or "LEN:(1)NAME=" (LEN without leading zeros, NAME
# without "=" or NUL); its value runs to LEN bytes after the colon.
_COMMON_FIELD = re.compile(rb"([1-9][0-9]{0,%d}):\(([01])\)([^=\x00]+)=" % (_MAX_LEN_DIGITS - 1))


def _decode_netstring(buf: bytes) -> Decoded:
    # The common case is matched by one regular expression per field, with the checks of
    # _peel_netstring/_parse_field; anything else goes through them (and their errors).
    pos = len(NETSTRING_START)
    size = len(buf)
    fields: list[Pair] = []
    append = fields.append
    match = _COMMON_FIELD.match
    while not buf.startswith(NETSTRING_END, pos):
        if pos >= size:
            raise DecodeError("message body not terminated by %%%\\n")
        m = match(buf, pos)
        if (
            m is not None
            and (end := m.end(1) + 1 + int(m[1])) < size
            and buf[end] == 0x2C  # ","
            and (value_at := m.end()) <= end
        ):
            name = m[3].decode(TEXT_ENCODING, TEXT_ERRORS)
            if m[2] == b"0":
                append((name, buf[value_at:end].decode(TEXT_ENCODING, TEXT_ERRORS)))
            else:
                append((name, buf[value_at:end]))
        else:
            start, end = _peel_netstring(buf, pos)
            append(_parse_field(buf[start:end], pos))
        pos = end + 1
    body_end = pos + len(NETSTRING_END)
    trailer: str | None = None
    if body_end < size:
        try:
            start, end = _peel_netstring(buf, body_end)
        except DecodeError:
            trailer = None  # reported by the verifier as a malformed trailer
        else:
            trailer = _to_text(buf[start:end])
    # Bytes after the trailer are ignored, as 3.0.6 does.
    return Decoded(HaMessage._trusted(tuple(fields)), "netstring", buf[:body_end], trailer)


def _parse_classic_line(line: bytes, pos: int) -> Pair:
    eq = line.find(b"=")
    if eq <= 0:
        raise DecodeError(f"offset {pos}: line without '=' or with an empty name")
    name, raw = line[:eq], line[eq + 1 :]
    if not raw:
        raise DecodeError(f"offset {pos}: empty value (not representable in classic text)")
    if b"\0" in name:
        raise DecodeError(f"offset {pos}: NUL in field name")
    if name[:1] != b"(":
        return (_to_text(name), _to_text(raw))
    if name[:3] != b"(1)" or len(name) == 3:
        raise DecodeError(f"offset {pos}: only binary '(1)name=' fields may carry a type")
    try:
        value = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"offset {pos}: bad base64 in binary field") from exc
    if base64.b64encode(value) != raw:  # non-canonical padding bits would not round-trip
        raise DecodeError(f"offset {pos}: non-canonical base64 in binary field")
    return (_to_text(name[3:]), value)


def _decode_classic(buf: bytes) -> Decoded:
    pos = len(CLASSIC_START)
    fields: list[Pair] = []
    while True:
        while buf.startswith(b"\n", pos):  # empty lines are skipped (string2msg_ll)
            pos += 1
        if buf.startswith(CLASSIC_END, pos):
            break  # bytes after "<<<" (LF, NUL) are ignored
        nl = buf.find(b"\n", pos)
        if nl < 0:
            raise DecodeError("classic message not terminated by <<<")
        fields.append(_parse_classic_line(buf[pos:nl], pos))
        pos = nl + 1
    msg = HaMessage(tuple(fields))
    return Decoded(msg, "classic", classic_text(msg), None)
