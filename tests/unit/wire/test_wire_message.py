"""HaMessage and the netstring / classic codecs of pyhb.wire.message."""

from __future__ import annotations

import pytest

from pyhb.wire.errors import DecodeError
from pyhb.wire.fields import MAX_DATAGRAM
from pyhb.wire.message import (
    HaMessage,
    Opaque,
    classic_text,
    decode,
    encode_body,
    encode_classic,
)

UUID = b"D\x98\xee$g\xeaB\xb5\x8d,\t\x83\xd3\x9b3*"  # contains ',' and '\t'


def _msg() -> HaMessage:
    return HaMessage.of(("t", "status"), ("st", "up"), ("srcuuid", UUID), ("seq", "1"))


# --- HaMessage ------------------------------------------------------------------------


def test_get_returns_the_first_string_field_and_skips_binary_ones() -> None:
    """get() answers the first string field of a name; binary fields of that name are skipped."""
    msg = HaMessage.of(("x", b"bin"), ("x", "one"), ("x", "two"))
    assert msg.get("x") == "one"
    assert msg.get_bytes("x") == b"bin"
    assert msg.get("missing") is None
    assert msg.get_bytes("missing") is None


def test_type_names_and_membership_follow_the_fields() -> None:
    """type is field t; names() keeps wire order and repeats; `in` tests names."""
    msg = HaMessage.of(("dest", "b"), ("t", "repnodes"), ("dest", "c"))
    assert msg.type == "repnodes"
    assert msg.names() == ("dest", "t", "dest")
    assert "dest" in msg
    assert "src" not in msg
    assert HaMessage.of().type is None


def test_with_fields_overwrites_in_place_and_appends_new_names() -> None:
    """with_fields replaces the first field of a name where it stands and appends others."""
    msg = _msg().with_fields(("st", "active"), ("ttl", "3"))
    assert msg.names() == ("t", "st", "srcuuid", "seq", "ttl")
    assert msg.get("st") == "active"
    assert msg.get("ttl") == "3"
    assert _msg().get("st") == "up"  # the original is unchanged


def test_without_removes_every_field_of_that_name() -> None:
    """without(name) drops all fields called name and keeps the rest in order."""
    msg = HaMessage.of(("a", "1"), ("b", "2"), ("a", "3")).without("a")
    assert msg.fields == (("b", "2"),)


def test_of_and_constructor_build_equal_messages() -> None:
    """HaMessage.of(*pairs) equals HaMessage(pairs), also from a list."""
    pairs = (("t", "status"), ("srcuuid", UUID))
    assert HaMessage.of(*pairs) == HaMessage(pairs)
    assert HaMessage(list(pairs)) == HaMessage(pairs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "a=b", "nu\0l"])
def test_unencodable_field_names_are_refused(name: str) -> None:
    """Names that the wire cannot carry (empty, '=', NUL) raise ValueError at construction."""
    with pytest.raises(ValueError, match="invalid field name"):
        HaMessage.of((name, "v"))


def test_values_of_the_wrong_type_are_refused() -> None:
    """A value that is not str, bytes or Opaque raises TypeError."""
    with pytest.raises(TypeError):
        HaMessage.of(("seq", 1))  # type: ignore[arg-type]


# --- netstring encoding ---------------------------------------------------------------


def test_encode_body_writes_one_netstring_per_field_between_markers() -> None:
    """encode_body is ###\\n, LEN:(T)NAME=VALUE, per field, %%%\\n."""
    assert encode_body(_msg()) == (
        b"###\n11:(0)t=status,8:(0)st=up,27:(1)srcuuid=" + UUID + b",8:(0)seq=1,%%%\n"
    )


def test_netstring_decoding_goes_by_length_not_by_delimiters() -> None:
    """Binary values holding ',', LF, NUL and even %%%\\n are taken whole by their LEN."""
    tricky = b",\n\0%%%\n1:x,"
    msg = HaMessage.of(("t", "x"), ("blob", tricky), ("z", ""))
    decoded = decode(encode_body(msg) + b"6:1 abcd,")
    assert decoded.message == msg
    assert decoded.message.get_bytes("blob") == tricky
    assert decoded.trailer == "1 abcd"
    assert decoded.signed == encode_body(msg)


def test_empty_string_values_are_legal_in_netstring_form() -> None:
    """`15:(0)delnodelist=,` decodes to an empty string (docs/protocol.md#framing)."""
    msg = decode(b"###\n15:(0)delnodelist=,%%%\n").message
    assert msg.get("delnodelist") == ""


def test_bytes_after_the_trailer_are_ignored() -> None:
    """Anything after the trailer netstring does not change the result."""
    base = encode_body(_msg()) + b"3:1 x,"
    assert decode(base + b"garbage\0").message == decode(base).message
    assert decode(base + b"garbage\0").trailer == "1 x"


@pytest.mark.parametrize("tail", [b"", b"x", b"3:1 x", b"03:1 x,", b"4:1 x,"])
def test_missing_or_malformed_trailer_decodes_with_no_trailer(tail: bytes) -> None:
    """The body still decodes; trailer is None so the verifier can reject it by name."""
    decoded = decode(encode_body(_msg()) + tail)
    assert decoded.message == _msg()
    assert decoded.trailer is None


def test_non_utf8_names_and_values_reencode_to_the_same_bytes() -> None:
    """Arbitrary bytes in names and string values survive decode/encode unchanged."""
    wire = b"###\n10:(0)t=\xff\xfe\x00ok,12:(0)n\xe9m=caf\xc3\xa9,%%%\n"
    msg = decode(wire).message
    assert msg.get("t") == "\udcff\udcfe\x00ok"
    assert msg.get("n\udce9m") == "café"
    assert encode_body(msg) == wire


def test_fields_of_types_2_to_5_are_kept_opaque_and_reencoded_exactly() -> None:
    """Struct/list/compressed fields keep their type digit and raw bytes."""
    wire = b"###\n10:(2)sub=xyz,8:(3)l=abc,7:(4)c=\x00\x01,7:(5)u=zz,%%%\n"
    msg = decode(wire).message
    assert msg.fields[0] == ("sub", Opaque(2, b"xyz"))
    assert msg.fields[3] == ("u", Opaque(5, b"zz"))
    assert encode_body(msg) == wire


def test_opaque_refuses_types_that_have_their_own_representation() -> None:
    """Opaque is only for types 2-5."""
    with pytest.raises(ValueError, match="2-5"):
        Opaque(1, b"x")


def test_a_message_without_fields_round_trips() -> None:
    """###\\n%%%\\n is an empty but well-formed body."""
    assert decode(b"###\n%%%\n").message == HaMessage()
    assert encode_body(HaMessage()) == b"###\n%%%\n"


BAD_DATAGRAMS = {
    "empty": b"",
    "no start marker": b"hello heartbeat\n",
    "start marker only": b"###\n",
    "truncated field": b"###\n11:(0)t=sta",
    "no end marker": b"###\n11:(0)t=status,",
    "length with leading zero": b"###\n011:(0)t=status,%%%\n",
    "length without colon": b"###\n11(0)t=status,%%%\n",
    "length not digits": b"###\n1a:(0)t=status,%%%\n",
    "overlong length": b"###\n1000000:(0)t=x,%%%\n",
    "missing comma": b"###\n11:(0)t=status;%%%\n",
    "field too short": b"###\n5:(0)t=x,%%%\n",
    "zero length field": b"###\n0:,%%%\n",
    "type digit 6": b"###\n8:(6)t=xy,%%%\n",
    "type not digit": b"###\n8:(x)t=xy,%%%\n",
    "no parentheses": b"###\n8:0)t=xyz,%%%\n",
    "no equals": b"###\n8:(0)txyz,%%%\n",
    "empty name": b"###\n8:(0)=xyzw,%%%\n",
    "NUL in name": b"###\n8:(0)t\0=xyz,%%%\n",
    "classic without end": b">>>\nt=status\n",
    "classic line without equals": b">>>\nt=status\nbogus\n<<<\n",
    "classic empty value": b">>>\nt=\n<<<\n",
    "classic empty name": b">>>\n=x\n<<<\n",
    "classic bad base64": b">>>\n(1)u=@@@@\n<<<\n",
    "classic non-canonical base64": b">>>\n(1)u=QR==\n<<<\n",
    "classic other type": b">>>\n(2)u=abc\n<<<\n",
    "classic bare type prefix": b">>>\n(1)=abc\n<<<\n",
}


@pytest.mark.parametrize("data", BAD_DATAGRAMS.values(), ids=BAD_DATAGRAMS.keys())
def test_malformed_datagrams_raise_decode_error(data: bytes) -> None:
    """Every malformed input is reported as DecodeError, never anything else."""
    with pytest.raises(DecodeError):
        decode(data)


def test_oversized_datagrams_are_refused_before_parsing() -> None:
    """More than 65535 bytes is a DecodeError whatever the content."""
    body = encode_body(HaMessage.of(("t", "x" * (MAX_DATAGRAM - 30))))
    assert len(body) <= MAX_DATAGRAM
    assert decode(body).message.type is not None
    with pytest.raises(DecodeError, match="exceeds"):
        decode(body + b"x" * (MAX_DATAGRAM - len(body) + 1))


def test_non_bytes_input_is_a_decode_error() -> None:
    """decode() of a str or None raises DecodeError too; bytearray/memoryview work."""
    with pytest.raises(DecodeError):
        decode("###\n%%%\n")  # type: ignore[arg-type]
    with pytest.raises(DecodeError):
        decode(None)  # type: ignore[arg-type]
    assert decode(bytearray(b"###\n%%%\n")).message == HaMessage()
    assert decode(memoryview(b"###\n%%%\n")).message == HaMessage()


# --- classic text -----------------------------------------------------------------------


def test_classic_text_matches_the_observed_inner_auth_text() -> None:
    """docs/protocol.md#which-bytes-are-signed: name=value lines, base64 binary, auth skipped,
    final LF."""
    msg = HaMessage.of(
        ("t", "status"),
        ("st", "init"),
        ("dt", "1f40"),
        ("protocol", "1"),
        ("src", "alpha"),
        ("srcuuid", UUID),
        ("seq", "1"),
        ("hg", "6b026618"),
        ("ts", "6b026618"),
        ("ld", "0.27 0.28 0.14 1/113 12"),
        ("ttl", "3"),
        ("auth", "1 b866992654b017439adfe61555e97e7ac082e68a"),
    )
    assert classic_text(msg) == (
        b"t=status\nst=init\ndt=1f40\nprotocol=1\nsrc=alpha\n(1)srcuuid=RJjuJGfqQrWNLAmD05szKg==\n"
        b"seq=1\nhg=6b026618\nts=6b026618\nld=0.27 0.28 0.14 1/113 12\nttl=3\n"
    )


def test_classic_text_writes_lf_inside_a_value_as_0x13() -> None:
    """An LF in a string value is rendered as byte 0x13 so lines stay intact."""
    assert classic_text(HaMessage.of(("info", "a\nb"))) == b"info=a\x13b\n"


def test_encode_classic_includes_auth_and_the_markers() -> None:
    """encode_classic is >>>\\n + every field (auth too) + <<<\\n."""
    msg = HaMessage.of(("t", "status"), ("srcuuid", b"\x00\x01"), ("auth", "1 ab"))
    assert encode_classic(msg) == b">>>\nt=status\n(1)srcuuid=AAE=\nauth=1 ab\n<<<\n"


def test_classic_datagrams_decode_and_reencode_exactly() -> None:
    """A classic datagram decodes to its fields and encode_classic gives it back."""
    wire = b">>>\nt=status\n(1)srcuuid=AAE=\nld=0.1 0.2\nauth=1 ab\n<<<\n"
    decoded = decode(wire)
    assert decoded.framing == "classic"
    assert decoded.trailer is None
    assert decoded.message.get_bytes("srcuuid") == b"\x00\x01"
    assert decoded.signed == b"t=status\n(1)srcuuid=AAE=\nld=0.1 0.2\n"
    assert encode_classic(decoded.message) == wire


def test_classic_decoding_skips_empty_lines_and_accepts_a_trailing_nul() -> None:
    """Empty lines between fields are skipped; a NUL after <<< is accepted."""
    decoded = decode(b">>>\n\nt=status\n\n\nst=up\n<<<\n\0")
    assert decoded.message == HaMessage.of(("t", "status"), ("st", "up"))


@pytest.mark.parametrize(
    "body",
    [
        b"2:(0,",  # item shorter than "(T)N=" at the very end of the datagram
        b"3:(0),",  # no name, no "="
        b"4:(0)=,",  # empty name
        b"5:(0)ab,",  # no "="
        b"5:(9)a=,",  # unknown type
        b"6:(0)a\x00=,",  # NUL in the name
        b"05:(0)a=,",  # leading zero in the length
        b"9:(0)a=b,",  # length past the comma
        b"x:(0)a=b,",  # not a length
    ],
)
def test_malformed_fields_raise_decode_error_only(body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(b"###\n" + body + b"%%%\n")


def test_decoded_messages_equal_messages_built_through_the_checked_constructor() -> None:
    msg = HaMessage.of(("t", "status"), ("srcuuid", b"\x00\x01=,"), ("x", ""), ("t", "again"))
    decoded = decode(encode_body(msg)).message
    assert decoded == msg
    assert decoded.fields == HaMessage(decoded.fields).fields


def test_with_fields_still_refuses_bad_new_pairs() -> None:
    with pytest.raises(ValueError, match="invalid field name"):
        _msg().with_fields(("a=b", "x"))
    with pytest.raises(TypeError):
        _msg().with_fields(("n", 3))  # type: ignore[arg-type]
