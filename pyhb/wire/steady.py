"""The status every node sends each keepalive, read and written without the general codec.

Almost every datagram of an idle cluster is a ``status`` laid out the way 3.0.6 and pyhb
send it (docs/protocol.md#the-steady-status): ``t``, ``st``, ``dt``, ``protocol``, ``src``,
``srcuuid``, ``seq``, ``hg``, ``ts``, ``ld``, ``ttl``, then ``auth`` unless ``msgfmt
netstring``, then the trailer. Two shortcuts for that one layout:

* ``read_status`` matches it with one pattern and checks every netstring length. When it
  returns a ``Status``, ``message.decode`` of the same bytes gives the same fields, the
  same signed bytes and the same trailer token (property-tested against it). Anything
  else (another type or order, a value the pattern does not cover, bytes after the
  trailer) gives None, and the caller takes the general path.
* ``Template`` writes the datagrams of a fixed field list whose only changing values are
  a few named slots (``seq``, ``ts``, ``ld`` of our status), byte for byte what
  ``Signer.datagram_of`` gives for the same pairs.

Nothing here authenticates: ``Status`` carries the trailer's key index and digest for
``Verifier.check_trailer``.
Must not import asyncio, socket, subprocess, time or random.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from pyhb.wire.auth import Signer, tokenizer
from pyhb.wire.fields import (
    CLASSIC_LF_SUBSTITUTE,
    MAX_DATAGRAM,
    NETSTRING_END,
    NETSTRING_START,
    TEXT_ENCODING,
    TEXT_ERRORS,
)
from pyhb.wire.message import encode_pairs

_LEN = rb"([1-9][0-9]{0,4}):"  # a netstring length: no leading zero, at most 65535
_HEX = rb"([0-9a-f]{1,16})"

_STATUS = re.compile(
    rb"###\n11:\(0\)t=status,"
    + _LEN + rb"\(0\)st=([a-z]{1,16}),"
    + _LEN + rb"\(0\)dt=" + _HEX + rb","
    + rb"13:\(0\)protocol=1,"
    + _LEN + rb"\(0\)src=([^,]{1,256}),"
    + rb"27:\(1\)srcuuid=(.{16}),"
    + _LEN + rb"\(0\)seq=" + _HEX + rb","
    + _LEN + rb"\(0\)hg=" + _HEX + rb","
    + _LEN + rb"\(0\)ts=" + _HEX + rb","
    + _LEN + rb"\(0\)ld=([^,]{0,256}),"
    + _LEN + rb"\(0\)ttl=([0-9]{1,9}),"
    + rb"(?:" + _LEN + rb"\(0\)auth=([^,]{0,512}),)?"
    + rb"%%%\n"
    + _LEN + rb"([0-9]{1,9}) ([0-9a-f]{1,128}),",
    re.DOTALL,
)  # fmt: skip

# Every netstring whose length varies, as (group of its length, group its content ends
# with): "t", "protocol" and "srcuuid" are literal above; "auth" may be absent. The
# trailer's content is "INDEX DIGEST".
_SIZED = (
    (1, 2), (3, 4), (5, 6), (8, 9), (10, 11), (12, 13), (14, 15), (16, 17), (18, 19), (20, 22),
)  # fmt: skip
_TRAILER_LEN, _INDEX, _DIGEST = 20, 21, 22


class Status(NamedTuple):
    """The fields of a steady-layout status that receiving it needs. Not authenticated."""

    src: str
    st: str
    dt: int
    uuid: bytes
    seq: int
    gen: int
    signed: bytes  # ``###\n`` through ``%%%\n``: what the trailer's digest covers
    key_index: int  # the trailer's key index
    digest: str  # the trailer's digest, as sent


def read_status(buf: bytes) -> Status | None:
    """The status in ``buf`` if it has exactly the steady layout, else None."""
    m = _STATUS.fullmatch(buf)
    if m is None:
        return None
    regs = m.regs
    for length, content in _SIZED:
        start, end = regs[length]
        if start >= 0 and int(buf[start:end]) != regs[content][1] - end - 1:
            return None
    st, dt, src, uuid, seq, gen, index, digest = m.group(2, 4, 6, 7, 9, 11, _INDEX, _DIGEST)
    return Status(
        src.decode(TEXT_ENCODING, TEXT_ERRORS),
        st.decode(),
        int(dt, 16),
        uuid,
        int(seq, 16),
        int(gen, 16),
        buf[: regs[_TRAILER_LEN][0]],
        int(index),
        digest.decode(),
    )


def _literal(raw: bytes) -> bytes:
    """``raw`` as the literal part of a bytes %-format."""
    return raw.replace(b"%", b"%%")


class Template:
    """Signed datagrams of one field list in which only the values of ``slots`` change.

    ``datagram(*values)`` (one str per slot, in field order) is byte for byte
    ``signer.datagram_of(pairs)`` with those values put in: the other fields are encoded
    once, here, into a format of the body's fields and one of their classic text (what
    the inner ``auth`` signs). For pairs pyhb builds itself (see ``Signer.datagram_of``).
    """

    __slots__ = ("_inner", "_token", "_items", "_text", "_sizes", "head")

    def __init__(
        self, signer: Signer, pairs: Sequence[tuple[str, str | bytes]], slots: Sequence[str]
    ) -> None:
        self._inner = signer.inner
        self._token = tokenizer(signer.authkeys.outbound)
        wanted = set(slots)
        names = [name for name, _ in pairs if name in wanted]
        if sorted(names) != sorted(wanted):
            raise ValueError(f"every slot must name exactly one field: {slots} in {names}")
        items, text = [NETSTRING_START], []
        self.head = b""  # every datagram's bytes before the first slot (set below)
        first = True
        run: list[tuple[str, str | bytes]] = []
        sizes = []
        for pair in [*pairs, ("", "")]:  # the sentinel ends the last constant run
            if pair[0] not in wanted and pair[0]:
                run.append(pair)
                continue
            run_items, run_text = encode_pairs(run, with_classic=signer.inner)
            if first:
                self.head, first = NETSTRING_START + b"".join(run_items), False
            items += [_literal(i) for i in run_items]
            text.append(_literal(run_text))
            run = []
            if pair[0]:
                name = _literal(pair[0].encode(TEXT_ENCODING, TEXT_ERRORS))
                items.append(b"%d:(0)" + name + b"=%s,")
                text.append(name + b"=%s\n")
                sizes.append(len(b"(0)=") + len(pair[0].encode(TEXT_ENCODING, TEXT_ERRORS)))
        self._items = b"".join(items)
        self._text = b"".join(text)
        self._sizes = tuple(sizes)

    def datagram(self, *values: str) -> bytes:
        """The signed datagram with ``values`` in the slots.

        Raises:
            ValueError: if it would exceed 65535 bytes, or the count of values is wrong.
        """
        if len(values) != len(self._sizes):
            raise ValueError(f"{len(self._sizes)} slot values expected, not {len(values)}")
        args: list[int | bytes] = []
        lines: list[bytes] = []
        for size, value in zip(self._sizes, values, strict=True):
            raw = value.encode(TEXT_ENCODING, TEXT_ERRORS)
            args += (size + len(raw), raw)
            lines.append(raw.replace(b"\n", CLASSIC_LF_SUBSTITUTE))
        body = self._items % tuple(args)
        if self._inner:
            text = self._text % tuple(lines)
            auth = b"(0)auth=" + self._token(text)
            body += b"%d:%s," % (len(auth), auth)
        body += NETSTRING_END
        trailer = self._token(body)
        data = b"%s%d:%s," % (body, len(trailer), trailer)
        if len(data) > MAX_DATAGRAM:
            raise ValueError(f"message of {len(data)} bytes does not fit in a datagram")
        return data
