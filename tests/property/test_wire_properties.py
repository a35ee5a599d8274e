"""Properties of the wire codec: round trips, and hostile input only ever raises DecodeError
(decode) or DecodeError/AuthError (verify)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.wire.auth import Signer, Verifier
from pyhb.wire.errors import AuthError, DecodeError
from pyhb.wire.message import (
    HaMessage,
    Opaque,
    classic_text,
    decode,
    encode_body,
    encode_classic,
)

from .profiles import TIMEOUT

pytestmark = pytest.mark.timeout(TIMEOUT)

CAPTURE = (
    Path(__file__).resolve().parents[1] / "data" / "captures" / "heartbeat-capture-2node.jsonl"
)
PACKETS = tuple(
    base64.b64decode(json.loads(line)["payload_b64"]) for line in CAPTURE.read_text().splitlines()
)
KEYS = AuthKeys(1, (AuthKey(1, AuthMethod.SHA1, b"s3cret"), AuthKey(2, AuthMethod.CRC, b"")))

# --- strategies -------------------------------------------------------------------------

names = st.text(min_size=1, max_size=12).filter(lambda s: "=" not in s and "\0" not in s)
values = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.builds(Opaque, st.integers(2, 5), st.binary(max_size=20)),
)
messages = st.lists(st.tuples(names, values), max_size=12).map(lambda p: HaMessage(tuple(p)))

# A classic line cannot start with "(" (type prefix) or "<<<" (end marker), as in 3.0.6.
classic_names = names.filter(
    lambda s: "\n" not in s and not s.startswith("(") and not s.startswith("<<<")
)
classic_values = st.one_of(
    st.text(min_size=1, max_size=40).filter(lambda s: "\n" not in s),
    st.binary(min_size=1, max_size=40),  # empty values are not representable in classic text
)
classic_messages = st.lists(st.tuples(classic_names, classic_values), max_size=12).map(
    lambda p: HaMessage(tuple(p))
)


@st.composite
def mutated_packets(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """(original, mutant): a real datagram with byte flips, cuts, insertions or deletions."""
    original = draw(st.sampled_from(PACKETS))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "digit"]))
        if kind == "flip" and pos < len(data):
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        elif kind == "digit" and pos < len(data):
            data[pos] = draw(st.sampled_from(b"0123456789:,=()%#\n"))
    return original, bytes(data)


# --- round trips ----------------------------------------------------------------------


@given(messages)
def test_decode_inverts_encode_body(msg: HaMessage) -> None:
    """decode(encode_body(m)) gives back m, whatever names and values it holds."""
    decoded = decode(encode_body(msg))
    assert decoded.message == msg
    assert decoded.signed == encode_body(msg)


@given(messages, st.booleans())
def test_signed_messages_verify_to_the_message(msg: HaMessage, inner: bool) -> None:
    """verify(Signer.datagram(m)) gives back m plus (when inner) its auth field."""
    data = Signer(KEYS, inner=inner).datagram(msg)
    verified = Verifier(KEYS).verify(data)
    assert verified == Signer(KEYS, inner=inner).sign(msg)
    if inner:
        Verifier(KEYS).check_inner(verified)


own_pairs = st.lists(
    st.tuples(
        names.filter(lambda s: s != "auth"), st.one_of(st.text(max_size=40), st.binary(max_size=40))
    ),
    max_size=14,
)
any_keys = st.sampled_from(
    [
        KEYS,
        AuthKeys(1, (AuthKey(1, AuthMethod.MD5, b"k\xff\x00"),)),
        AuthKeys(3, (AuthKey(3, AuthMethod.CRC, b""),)),
    ]
)


@given(own_pairs, st.booleans(), any_keys)
@example([("t", "status"), ("info", "a\nb"), ("srcuuid", b"\n\x00,:")], True, KEYS)
def test_one_pass_signing_equals_signing_the_message(
    pairs: list[tuple[str, str | bytes]], inner: bool, keys: AuthKeys
) -> None:
    """The sender's one-pass path gives the same bytes as building, signing and encoding
    the message, for either framing of the inner auth and every method."""
    signer = Signer(keys, inner=inner)
    assert signer.datagram_of(pairs) == signer.datagram(HaMessage(tuple(pairs)))


@given(classic_messages)
def test_classic_decoding_inverts_encode_classic(msg: HaMessage) -> None:
    """decode(encode_classic(m)) gives back m and its classic text."""
    decoded = decode(encode_classic(msg))
    assert decoded.message == msg
    assert decoded.signed == classic_text(msg)


# --- hostile input ----------------------------------------------------------------------


def _decode_or_decode_error(data: bytes) -> None:
    try:
        decoded = decode(data)
    except DecodeError:
        return
    # whatever decodes re-encodes to exactly the bytes it came from
    if decoded.framing == "netstring":
        assert encode_body(decoded.message) == decoded.signed
        assert data.startswith(decoded.signed)


@given(st.binary(max_size=400))
@example(b"###\n")
@example(b"###\n%%%\n")
@example(b">>>\n<<<")
def test_decode_of_random_bytes_only_raises_decode_error(data: bytes) -> None:
    """Arbitrary bytes either decode or raise DecodeError, nothing else."""
    _decode_or_decode_error(data)


@given(st.sampled_from([b"###\n", b">>>\n"]), st.binary(max_size=300))
def test_decode_of_random_bodies_only_raises_decode_error(start: bytes, rest: bytes) -> None:
    """Random bytes behind a valid start marker reach deep into the parsers safely."""
    _decode_or_decode_error(start + rest)


@given(mutated_packets())
def test_decode_of_mutated_real_packets_only_raises_decode_error(pair: tuple[bytes, bytes]) -> None:
    """Flipped, cut, grown or shrunk real datagrams decode exactly or raise DecodeError."""
    _decode_or_decode_error(pair[1])


@given(mutated_packets())
def test_verify_of_mutated_packets_never_accepts_a_changed_body(pair: tuple[bytes, bytes]) -> None:
    """verify raises only DecodeError/AuthError, and accepts only an unchanged signed body."""
    original, mutant = pair
    try:
        msg = Verifier(KEYS).verify(mutant)
    except (DecodeError, AuthError):
        return
    assert decode(mutant).signed == decode(original).signed
    assert msg == decode(original).message


@given(st.binary(max_size=400))
def test_verify_of_random_bytes_only_raises_decode_or_auth_error(data: bytes) -> None:
    """Arbitrary bytes never verify and never raise anything but DecodeError/AuthError."""
    try:
        Verifier(KEYS).verify(b"###\n" + data)
    except (DecodeError, AuthError):
        return
    raise AssertionError("random bytes verified")


def test_every_prefix_of_real_packets_fails_cleanly() -> None:
    """Fed byte by byte, each incomplete datagram decodes or raises DecodeError, never verifies."""
    verifier = Verifier(KEYS)
    for packet in PACKETS[:10]:
        for i in range(len(packet)):
            _decode_or_decode_error(packet[:i])
            try:
                verifier.verify(packet[:i])
            except (DecodeError, AuthError):
                continue
            raise AssertionError(f"prefix of {i} bytes verified")
        assert verifier.verify(packet) == decode(packet).message
