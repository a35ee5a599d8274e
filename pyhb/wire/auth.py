"""Authentication of heartbeat datagrams: digests, signing and verification.

Methods (docs/protocol.md#authentication): ``sha1``/``md5`` are standard HMACs (RFC 2104, from
``cryptography``, one keyed context per key), ``crc`` is the unkeyed CRC-32/CKSUM
printed with ``%lx``.
Every datagram carries the trailer ``LEN:IDX DIGEST,`` over the body bytes ``###\\n`` ..
``%%%\\n``; with ``inner`` signing the body also ends with an ``auth`` field computed over
the classic text of the other fields. Receivers check the trailer only (3.0.6 ignores the
inner field of netstring messages); classic ``>>>`` messages are checked by their ``auth``
field. Errors never include key material.
Must not import asyncio, socket, subprocess, time or random.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.hashes import MD5, SHA1
from cryptography.hazmat.primitives.hmac import HMAC

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.wire.errors import AuthError
from pyhb.wire.fields import (
    CLASSIC_END,
    CLASSIC_START,
    F_AUTH,
    MAX_DATAGRAM,
    NETSTRING_END,
    NETSTRING_START,
    TEXT_ENCODING,
    TEXT_ERRORS,
)
from pyhb.wire.message import (
    Decoded,
    HaMessage,
    classic_text,
    decode,
    encode_body,
    encode_netstring,
    encode_pairs,
)

log = logging.getLogger(__name__)


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
        table.append(crc & 0xFFFFFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc32_cksum(data: bytes) -> int:
    """CRC-32/CKSUM without the length suffix: poly 0x04C11DB7, init 0, MSB first, final
    complement (HBauth/crc.c). check(b"123456789") == 0x765E7680."""
    crc = 0
    table = _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc ^ 0xFFFFFFFF


_HASHES = {"sha1": SHA1, "md5": MD5}
_AUTH_LINE = re.compile(rb"\nauth=([^\n]*)")
_AUTH_OR_EMPTY = re.compile(rb"\n(?:auth=[^\n]*)?(?=\n)")  # a line not signed
_digesters: dict[tuple[str, bytes], Callable[[bytes], str]] = {}


def digester(method: AuthMethod | str, key: bytes) -> Callable[[bytes], str]:
    """``digest(method, key, data)`` as a function of ``data`` alone. HMACs (RFC 2104,
    through ``cryptography``) get their keyed context set up once per key; each message
    then costs a copy of it, not a key setup.

    Raises:
        ValueError: for a method that is not an ``AuthMethod``.
    """
    name = str(AuthMethod(method))
    fn = _digesters.get((name, key))
    if fn is None:
        if len(_digesters) >= 16:  # keys come from authkeys: a handful at most
            _digesters.clear()
        fn = _digesters[(name, key)] = _make_digester(name, key)
    return fn


def _make_digester(name: str, key: bytes) -> Callable[[bytes], str]:
    if name not in _HASHES:  # crc
        return lambda data: f"{crc32_cksum(data):x}"
    keyed = HMAC(key, _HASHES[name]())

    def mac(data: bytes) -> str:
        h = keyed.copy()
        h.update(data)
        return h.finalize().hex()

    return mac


def digest(method: AuthMethod | str, key: bytes, data: bytes) -> str:
    """The digest text heartbeat puts after the key index: lower-case hex; crc as ``%lx``
    (no zero padding)."""
    return digester(method, key)(data)


def token(key: AuthKey, data: bytes) -> str:
    """The auth token ``"<index> <digest>"`` of ``data`` under ``key``."""
    return f"{key.index} {digest(key.method, key.key, data)}"


def tokenizer(key: AuthKey) -> Callable[[bytes], bytes]:
    """``token(key, data)`` (as bytes) as a function of ``data`` alone (see ``digester``)."""
    prefix = f"{key.index} ".encode()
    mac = digester(key.method, key.key)
    return lambda data: prefix + mac(data).encode()


_TOKEN = re.compile(r"(\d{1,9}) (\S+)")


def _parse_token(text: str, where: str) -> tuple[int, str]:
    m = _TOKEN.fullmatch(text)
    if m is None:
        raise AuthError(f"malformed {where} auth token (expected 'INDEX DIGEST')")
    return int(m.group(1)), m.group(2)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode())


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs outbound messages with the active key of ``authkeys``.

    ``inner=True`` (ha.cf ``msgfmt classic``, the default) makes ``auth`` the last field of
    the body; ``inner=False`` (``msgfmt netstring``) sends no ``auth`` field at all.
    """

    authkeys: AuthKeys
    inner: bool = True

    def sign(self, msg: HaMessage) -> HaMessage:
        """The message as it goes into the body: with or without its inner ``auth``."""
        msg = msg.without(F_AUTH)
        if not self.inner:
            return msg
        return msg.with_fields((F_AUTH, token(self.authkeys.outbound, classic_text(msg))))

    def datagram(self, msg: HaMessage) -> bytes:
        """Body plus trailer, ready to send.

        Raises:
            ValueError: if the datagram would exceed 65535 bytes.
        """
        body = encode_body(self.sign(msg))
        trailer = token(self.authkeys.outbound, body).encode()
        data = body + encode_netstring(trailer)
        if len(data) > MAX_DATAGRAM:
            raise ValueError(f"message of {len(data)} bytes does not fit in a datagram")
        return data

    def datagram_of(self, pairs: Sequence[tuple[str, str | bytes]]) -> bytes:
        """``datagram(HaMessage(pairs))``, byte for byte, for the pairs pyhb builds itself
        (valid names, str or bytes values, no ``auth``): encoded and signed in one pass,
        without building and re-copying the message.

        Raises:
            ValueError: if the datagram would exceed 65535 bytes.
        """
        items, text = encode_pairs(pairs, with_classic=self.inner)
        key = self.authkeys.outbound
        if self.inner:
            item = b"(0)auth=" + token(key, text).encode(TEXT_ENCODING, TEXT_ERRORS)
            items.append(encode_netstring(item))
        body = NETSTRING_START + b"".join(items) + NETSTRING_END
        data = body + encode_netstring(token(key, body).encode())
        if len(data) > MAX_DATAGRAM:
            raise ValueError(f"message of {len(data)} bytes does not fit in a datagram")
        return data


@dataclass(frozen=True, slots=True)
class Verifier:
    """Checks inbound datagrams against every configured key
    (docs/protocol.md#checking-on-receipt)."""

    authkeys: AuthKeys
    #: Key indexes accepted on input besides ``authkeys.accepts`` (the old crc key for a
    #: while after a key change, see ``core.keychange``).
    also_accept: frozenset[int] = frozenset()
    _digests: dict[int, Callable[[bytes], str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        digests: dict[int, Callable[[bytes], str]] = {}
        for k in self.authkeys.keys:  # the first of an index, as ``AuthKeys.get``
            if self.accepts(k.index):
                digests.setdefault(k.index, digester(k.method, k.key))
        object.__setattr__(self, "_digests", digests)

    def accepts(self, index: int) -> bool:
        """Whether packets signed with key ``index`` are accepted."""
        return self.authkeys.accepts(index) or (
            index in self.also_accept and self.authkeys.get(index) is not None
        )

    def _key(self, index: int, where: str) -> AuthKey:
        key = self.authkeys.get(index)
        if key is None:
            raise AuthError(f"{where} names key index {index}, which is not configured")
        if not self.accepts(index):
            raise AuthError(
                f"{where} names key index {index} ({key.method}), which is not accepted on "
                "input: a crc key counts only while it is the active one"
            )
        return key

    def verify(self, data: bytes | bytearray | memoryview) -> HaMessage:
        """Decode and authenticate one datagram; only the returned message is trustworthy.

        Raises:
            DecodeError: the datagram is oversized or not a heartbeat message.
            AuthError: its authentication is missing, unknown or does not match.
        """
        if bytes(data[: len(CLASSIC_START)]) == CLASSIC_START and len(data) <= MAX_DATAGRAM:
            self._preauth_classic(bytes(data))
        decoded = decode(data)  # refuses oversized datagrams before parsing anything
        if decoded.framing == "classic":
            self._verify_classic(decoded)
        else:
            self._verify_trailer(decoded)
        return decoded.message

    def _verify_trailer(self, decoded: Decoded) -> None:
        if decoded.trailer is None:
            raise AuthError("missing or malformed trailer netstring after %%%")
        index, got = _parse_token(decoded.trailer, "trailer")
        self.check_trailer(index, got, decoded.signed)

    def check_trailer(self, index: int, got: str, signed: bytes) -> None:
        """Check a trailer's digest ``got``, of key ``index``, over the body ``signed``.

        Raises:
            AuthError: unknown index or mismatch.
        """
        mac = self._digests.get(index)
        if mac is not None and hmac.compare_digest(
            got.encode(TEXT_ENCODING, TEXT_ERRORS), mac(signed).encode()
        ):
            return
        key = self._key(index, "trailer")
        # heartbeat 3.0.6 (cl_netstring.c is_auth_netstring -> authmethod) checks index N
        # with the method of N but the key string of the active index: accept that too so
        # a 3.0.6 peer in the middle of a key rotation still interoperates.
        active = self.authkeys.outbound
        if index != active.index and _same(got, digest(key.method, active.key, signed)):
            log.debug("trailer of key index %d matched the active key (3.0.6 quirk)", index)
            return
        raise AuthError(f"trailer digest does not match key index {index} ({key.method})")

    def _preauth_classic(self, buf: bytes) -> None:
        """Check a classic datagram's embedded auth on its raw lines, before parsing fields.

        The signed text of a classic message is its field lines in order, ``auth`` lines and
        empty lines left out; for any datagram that decodes, those are exactly its raw lines
        (values round-trip byte for byte). So an unauthenticated datagram costs one digest
        over its bytes, never a parse of thousands of lines. What passes is decoded and
        checked again as before.

        Raises:
            AuthError: no ``auth`` line, unknown index or mismatch.
        """
        end = buf.find(b"\n" + CLASSIC_END, len(CLASSIC_START) - 1)
        if end < 0:
            return  # not terminated: decode() rejects it
        # Every line with the newline before it, so that one pattern (in C, not a loop
        # over thousands of lines) finds the first auth line and drops them all, and the
        # empty lines.
        lines = b"\n" + buf[len(CLASSIC_START) : end + 1]
        found = _AUTH_LINE.search(lines)
        if found is None:
            raise AuthError("no embedded auth field")
        if b"\n\n" not in lines and lines.count(b"\nauth=") == 1:  # the usual layout
            signed = (lines[: found.start()] + lines[found.end() :])[1:]
        else:
            signed = _AUTH_OR_EMPTY.sub(b"", lines)[1:]
        index, got = _parse_token(found[1].decode(TEXT_ENCODING, TEXT_ERRORS), "embedded")
        key = self._key(index, "embedded auth field")
        if not _same(got, digest(key.method, key.key, signed)):
            raise AuthError(f"embedded auth digest does not match key index {index} ({key.method})")

    def _verify_classic(self, decoded: Decoded) -> None:
        self.check_inner(decoded.message)

    def check_inner(self, msg: HaMessage) -> None:
        """Check the embedded ``auth`` field against the key of its own index.

        Needed for classic framing; for netstring messages only a diagnostic, since 3.0.6
        ignores the inner field there.

        Raises:
            AuthError: no ``auth`` field, unknown index or mismatch.
        """
        text = msg.get(F_AUTH)
        if text is None:
            raise AuthError("no embedded auth field")
        index, got = _parse_token(text, "embedded")
        key = self._key(index, "embedded auth field")
        if not _same(got, digest(key.method, key.key, classic_text(msg))):
            raise AuthError(f"embedded auth digest does not match key index {index} ({key.method})")
