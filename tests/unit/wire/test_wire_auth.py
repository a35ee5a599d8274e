"""Digests, Signer and Verifier of pyhb.wire.auth."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.wire.auth import Signer, Verifier, crc32_cksum, digest
from pyhb.wire.errors import AuthError, DecodeError
from pyhb.wire.fields import MAX_DATAGRAM
from pyhb.wire.message import HaMessage, classic_text, decode, encode_body, encode_classic

from .capture_data import S3CRET, Capture

SHA1 = AuthMethod.SHA1
MD5 = AuthMethod.MD5
CRC = AuthMethod.CRC


def _status() -> HaMessage:
    return HaMessage.of(("t", "status"), ("st", "up"), ("src", "alpha"), ("seq", "2"))


def _bitwise_cksum(data: bytes) -> int:
    """Reference CRC-32/CKSUM (no length suffix), one bit at a time."""
    crc = 0
    for byte in data:
        for bit in range(7, -1, -1):
            top = ((crc >> 31) & 1) ^ ((byte >> bit) & 1)
            crc = ((crc << 1) & 0xFFFFFFFF) ^ (0x04C11DB7 if top else 0)
    return crc ^ 0xFFFFFFFF


# --- digests --------------------------------------------------------------------------


def test_crc_has_the_catalogue_check_value_and_empty_value() -> None:
    """CRC-32/CKSUM check("123456789") is 765e7680; empty input gives ffffffff."""
    assert digest(CRC, b"", b"123456789") == "765e7680"
    assert digest(CRC, b"", b"") == "ffffffff"


@pytest.mark.parametrize("data", [b"a", b"\x00\x00\x00\x00", bytes(range(256)), b"x" * 1000])
def test_table_crc_equals_the_bitwise_definition(data: bytes) -> None:
    """The table-driven CRC equals a bit-by-bit MSB-first computation."""
    assert crc32_cksum(data) == _bitwise_cksum(data)


def test_crc_digest_is_printed_without_zero_padding() -> None:
    """crc digests print like %lx: values below 0x10000000 have fewer than 8 digits."""
    data = next(b"%d" % i for i in range(10_000) if _bitwise_cksum(b"%d" % i) < 0x10000000)
    text = digest(CRC, b"", data)
    assert len(text) < 8
    assert int(text, 16) == _bitwise_cksum(data)
    assert not text.startswith("0")


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (SHA1, "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"),
        (MD5, "80070713463e7749b90c2dc24911e275"),
    ],
)
def test_hmac_digests_match_the_published_examples(method: AuthMethod, expected: str) -> None:
    """HMAC("key", "The quick brown fox jumps over the lazy dog") as published."""
    assert digest(method, b"key", b"The quick brown fox jumps over the lazy dog") == expected


@pytest.mark.parametrize("method", [SHA1, MD5])
def test_hmac_digests_hash_long_keys_like_rfc2104(method: AuthMethod) -> None:
    """Keys longer than the block size (74 bytes, as in the lab) give the standard HMAC."""
    key, data = b"k" * 74, b"###\nbody%%%\n"
    assert digest(method, key, data) == hmac.new(key, data, getattr(hashlib, method)).hexdigest()


# --- Signer ---------------------------------------------------------------------------


def test_signer_appends_inner_auth_last_and_a_trailer_over_the_body() -> None:
    """The inner auth covers the classic text; the trailer covers ###..%%% including it."""
    data = Signer(S3CRET).datagram(_status())
    decoded = decode(data)
    assert decoded.message.names() == ("t", "st", "src", "seq", "auth")
    assert decoded.message.get("auth") == "1 " + digest(SHA1, b"s3cret", classic_text(_status()))
    assert decoded.trailer == "1 " + digest(SHA1, b"s3cret", decoded.signed)


def test_signer_replaces_an_existing_auth_field_and_moves_it_last() -> None:
    """A stale auth field anywhere in the message is dropped and recomputed at the end."""
    stale = HaMessage.of(
        ("t", "status"), ("auth", "1 00"), ("st", "up"), ("src", "alpha"), ("seq", "2")
    )
    assert Signer(S3CRET).datagram(stale) == Signer(S3CRET).datagram(_status())


def test_signer_without_inner_sends_only_the_trailer() -> None:
    """inner=False (msgfmt netstring) leaves no auth field in the body."""
    data = Signer(S3CRET, inner=False).datagram(_status().with_fields(("auth", "1 00")))
    decoded = decode(data)
    assert decoded.message == _status()
    assert Verifier(S3CRET).verify(data) == _status()


def test_signer_uses_the_active_index_and_its_method() -> None:
    """With auth 7 / 7 md5, both digests are md5 and carry index 7."""
    keys = AuthKeys(7, (AuthKey(1, SHA1, b"one"), AuthKey(7, MD5, b"An0ther-Key")))
    decoded = decode(Signer(keys).datagram(_status()))
    assert decoded.trailer == "7 " + digest(MD5, b"An0ther-Key", decoded.signed)
    inner = decoded.message.get("auth")
    assert inner == "7 " + digest(MD5, b"An0ther-Key", classic_text(_status()))


def test_signer_refuses_a_message_larger_than_a_datagram() -> None:
    """A message that cannot fit in 65535 bytes raises ValueError instead of being sent."""
    with pytest.raises(ValueError, match="does not fit"):
        Signer(S3CRET).datagram(HaMessage.of(("t", "x" * MAX_DATAGRAM)))


# --- Verifier -------------------------------------------------------------------------


def test_verifier_rejects_a_wrong_key_without_revealing_keys() -> None:
    """A datagram signed with another key is an AuthError naming the index, not the key."""
    data = Signer(AuthKeys(1, (AuthKey(1, SHA1, b"intruder"),))).datagram(_status())
    with pytest.raises(AuthError, match="index 1") as err:
        Verifier(S3CRET).verify(data)
    assert "s3cret" not in str(err.value)
    assert "intruder" not in str(err.value)


def test_verifier_rejects_an_unconfigured_index() -> None:
    """A trailer naming key index 2 when only 1 is configured is an AuthError."""
    data = Signer(AuthKeys(2, (AuthKey(2, SHA1, b"s3cret"),))).datagram(_status())
    with pytest.raises(AuthError, match="index 2, which is not configured"):
        Verifier(S3CRET).verify(data)


def test_verifier_rejects_any_flipped_byte_of_the_signed_body(captures: dict[str, Capture]) -> None:
    """Flipping any single byte of a real datagram is caught as AuthError or DecodeError."""
    packet = captures["2node"].packets[0]
    verifier = Verifier(S3CRET)
    for i in range(len(packet)):
        mutated = packet[:i] + bytes([packet[i] ^ 0x01]) + packet[i + 1 :]
        with pytest.raises((AuthError, DecodeError)):
            verifier.verify(mutated)


def test_verifier_rejects_every_truncation(captures: dict[str, Capture]) -> None:
    """Every proper prefix of a real datagram fails to verify."""
    packet = captures["2node"].packets[0]
    verifier = Verifier(S3CRET)
    for i in range(len(packet)):
        with pytest.raises((AuthError, DecodeError)):
            verifier.verify(packet[:i])


@pytest.mark.parametrize("tail", [b"", b"garbage", b"5:1 ab,", b"9:1 0000000,", b"3:abc,"])
def test_verifier_rejects_missing_malformed_or_wrong_trailers(tail: bytes) -> None:
    """No trailer, a non-netstring, a wrong digest or a token without index: AuthError."""
    with pytest.raises(AuthError):
        Verifier(S3CRET).verify(encode_body(_status()) + tail)


def test_verifier_refuses_oversized_datagrams_first() -> None:
    """More than 65535 bytes is a DecodeError even if the start looks valid."""
    data = Signer(S3CRET).datagram(_status())
    with pytest.raises(DecodeError, match="exceeds"):
        Verifier(S3CRET).verify(data + b"\0" * MAX_DATAGRAM)


def test_netstring_inner_auth_is_not_required_but_can_be_checked() -> None:
    """Missing or wrong inner auth passes verify (as in 3.0.6); check_inner reports it."""
    verifier = Verifier(S3CRET)
    no_inner = Signer(S3CRET, inner=False).datagram(_status())
    assert verifier.verify(no_inner) == _status()
    with pytest.raises(AuthError, match="no embedded auth"):
        verifier.check_inner(_status())
    wrong = _status().with_fields(("auth", "1 " + "0" * 40))
    body = encode_body(wrong)
    data = body + b"42:1 " + digest(SHA1, b"s3cret", body).encode() + b","
    assert verifier.verify(data) == wrong
    with pytest.raises(AuthError, match="embedded auth digest does not match key index 1"):
        verifier.check_inner(wrong)


ROTATION = AuthKeys(1, (AuthKey(1, SHA1, b"s3cret"), AuthKey(2, SHA1, b"other")))


def _signed_body(index: int, method: AuthMethod, key: bytes) -> bytes:
    body = encode_body(_status())
    tok = f"{index} {digest(method, key, body)}".encode()
    return body + b"%d:%s," % (len(tok), tok)


def test_trailer_of_another_configured_index_verifies_with_that_key() -> None:
    """A peer signing with configured index 2 and its own key is accepted."""
    assert Verifier(ROTATION).verify(_signed_body(2, SHA1, b"other")) == _status()


def test_trailer_of_another_index_also_verifies_with_the_active_key() -> None:
    """3.0.6 quirk: index 2 signed with the active key's string (method of 2) is accepted."""
    assert Verifier(ROTATION).verify(_signed_body(2, SHA1, b"s3cret")) == _status()
    mixed = AuthKeys(1, (AuthKey(1, SHA1, b"s3cret"), AuthKey(2, MD5, b"other")))
    assert Verifier(mixed).verify(_signed_body(2, MD5, b"s3cret")) == _status()
    with pytest.raises(AuthError):  # the method is still that of index 2
        Verifier(mixed).verify(_signed_body(2, SHA1, b"s3cret"))
    with pytest.raises(AuthError):
        Verifier(ROTATION).verify(_signed_body(2, SHA1, b"neither"))


def test_crc_trailer_verifies_without_a_key() -> None:
    """A crc-configured index verifies the keyless CRC digest."""
    keys = AuthKeys(2, (AuthKey(2, CRC, b""),))
    data = Signer(keys).datagram(_status())
    assert decode(data).trailer == "2 " + digest(CRC, b"", decode(data).signed)
    assert Verifier(keys).verify(data).without("auth") == _status()


# --- classic framing --------------------------------------------------------------------


def test_classic_datagram_verifies_by_its_embedded_auth() -> None:
    """A >>> message whose auth covers its classic text is accepted."""
    data = encode_classic(Signer(S3CRET).sign(_status()))
    assert Verifier(S3CRET).verify(data) == Signer(S3CRET).sign(_status())
    assert Verifier(S3CRET).verify(data + b"\0").get("src") == "alpha"


def test_classic_datagram_without_or_with_wrong_auth_is_rejected() -> None:
    """Classic framing requires a matching embedded auth field."""
    with pytest.raises(AuthError, match="no embedded auth"):
        Verifier(S3CRET).verify(encode_classic(_status()))
    bad = _status().with_fields(("auth", "1 " + "f" * 40))
    with pytest.raises(AuthError, match="does not match"):
        Verifier(S3CRET).verify(encode_classic(bad))


def test_classic_junk_is_refused_before_its_fields_are_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big unauthenticated classic datagram costs one digest, not a parse of its lines;
    an authentic one (empty lines and all) is still parsed and accepted."""
    from pyhb.wire import auth

    parsed: list[int] = []

    def counting_decode(data: bytes) -> object:
        parsed.append(len(data))
        return decode(data)

    monkeypatch.setattr(auth, "decode", counting_decode)
    lines = b"".join(b"f%d=%s\n" % (i, b"x" * 20) for i in range(2400))
    junk = b">>>\n" + lines + b"auth=1 " + b"0" * 40 + b"\n<<<\n"
    assert len(junk) < MAX_DATAGRAM
    for data in (junk, b">>>\n" + lines + b"<<<\n"):
        with pytest.raises(AuthError):
            Verifier(S3CRET).verify(data)
    assert parsed == []
    good = encode_classic(Signer(S3CRET).sign(_status()))
    spaced = good.replace(b"\nst=", b"\n\n\nst=")
    assert Verifier(S3CRET).verify(spaced) == Signer(S3CRET).sign(_status())
    assert parsed == [len(spaced)]


def test_classic_auth_uses_the_true_key_of_its_index() -> None:
    """Unlike the netstring path, classic index 2 must match key 2 itself."""
    text = classic_text(_status())
    good = _status().with_fields(("auth", "2 " + digest(SHA1, b"other", text)))
    quirk = _status().with_fields(("auth", "2 " + digest(SHA1, b"s3cret", text)))
    assert Verifier(ROTATION).verify(encode_classic(good)) == good
    with pytest.raises(AuthError):
        Verifier(ROTATION).verify(encode_classic(quirk))


@pytest.mark.parametrize("method", ["sha1", "md5"])
@pytest.mark.parametrize("key", [b"", b"k", b"pyhb-lab-secret", b"x" * 64, b"y" * 65, b"z" * 200])
def test_hmac_digests_equal_the_standard_library_hmac(method: str, key: bytes) -> None:
    for data in (b"", b"###\n%%%\n", bytes(range(256)) * 3):
        want = hmac.new(key, data, method).hexdigest()
        assert digest(method, key, data) == want
        assert digest(method, key, data) == want  # cached pads give the same answer


def test_a_leftover_crc_key_signs_nothing_that_is_accepted() -> None:
    """``auth 1`` (sha1) with a forgotten ``2 crc`` line: a packet anyone can sign with crc
    index 2 is refused, on both framings; while crc is the active key it is accepted."""
    leftover = AuthKeys(1, (AuthKey(1, SHA1, b"s3cret"), AuthKey(2, CRC, b"")))
    crc_only = AuthKeys(2, (AuthKey(2, CRC, b""),))
    forged = Signer(crc_only).datagram(_status())
    with pytest.raises(AuthError, match="not accepted on input"):
        Verifier(leftover).verify(forged)
    with pytest.raises(AuthError, match="not accepted on input"):
        Verifier(leftover).verify(encode_classic(Signer(crc_only).sign(_status())))
    assert Verifier(AuthKeys(2, leftover.keys)).verify(forged).get("src") == "alpha"
    assert Verifier(leftover).verify(Signer(leftover).datagram(_status())).get("src") == "alpha"
