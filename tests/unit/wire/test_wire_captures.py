"""Every datagram captured from real Heartbeat 3.0.6 decodes, verifies and re-encodes exactly."""

from __future__ import annotations

import pytest

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.wire import fields as f
from pyhb.wire.auth import Signer, Verifier, digest
from pyhb.wire.message import HaMessage, classic_text, decode, encode_body, encode_netstring

from .capture_data import CAPTURE_NAMES, SECRET, Capture


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_captured_datagrams_verify_and_reencode_byte_for_byte(
    captures: dict[str, Capture], name: str
) -> None:
    """Decode + verify + encode_body + trailer reproduces each captured datagram exactly."""
    cap = captures[name]
    assert cap.packets
    verifier = Verifier(cap.authkeys)
    for packet in cap.packets:
        decoded = decode(packet)
        assert decoded.framing == "netstring"
        msg = verifier.verify(packet)
        assert msg == decoded.message
        assert encode_body(msg) == decoded.signed
        assert decoded.trailer is not None
        assert decoded.signed + encode_netstring(decoded.trailer.encode()) == packet


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_both_digests_of_captured_datagrams_are_recomputed(
    captures: dict[str, Capture], name: str
) -> None:
    """The outer digest over ###..%%% and the inner one over the classic text both match."""
    cap = captures[name]
    key = cap.authkeys.outbound
    for packet in cap.packets:
        decoded = decode(packet)
        inner = decoded.message.get(f.F_AUTH)
        assert inner == f"{key.index} {digest(key.method, key.key, classic_text(decoded.message))}"
        assert decoded.trailer == f"{key.index} {digest(key.method, key.key, decoded.signed)}"
        Verifier(cap.authkeys).check_inner(decoded.message)


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_signer_reproduces_captured_datagrams(captures: dict[str, Capture], name: str) -> None:
    """Re-signing a captured message (without its auth field) gives the captured bytes."""
    cap = captures[name]
    signer = Signer(cap.authkeys)
    for packet in cap.packets:
        msg = decode(packet).message
        assert signer.datagram(msg.without(f.F_AUTH)) == packet


def test_captures_contain_every_observed_message_type(captures: dict[str, Capture]) -> None:
    """The golden data covers the 11 message types seen in Heartbeat 3.0.6's traffic."""
    seen = {decode(p).message.type for c in captures.values() for p in c.packets}
    assert {
        f.T_STATUS,
        f.T_ACKMSG,
        f.T_REXMIT,
        f.T_REQNODES,
        f.T_REPNODES,
        f.T_STARTING,
        f.T_RESOURCE,
        f.T_ASK_RESOURCES,
        f.T_HB_TAKEOVER,
        f.T_IP_REQUEST_RESP,
        f.T_SHUTDONE,
        f.T_STONITH,
    } <= seen


def test_captured_field_order_follows_the_standard_trailer(captures: dict[str, Capture]) -> None:
    """Standard fields appear in TRAILER_ORDER after the type's own fields, NS_ without seq/ld."""
    for cap in captures.values():
        for packet in cap.packets:
            msg = decode(packet).message
            names = msg.names()
            std = [n for n in names if n in f.TRAILER_ORDER]
            assert tuple(std) == tuple(n for n in f.trailer_order(msg.type) if n in names), names
            first_std = names.index(std[0])
            assert all(n in f.TRAILER_ORDER for n in names[first_std:])
            assert f.is_ns_type(msg.type) == (f.F_SEQ not in names)


# --- messages built from scratch in the observed field order --------------------------

UUID_A = b"\xbf0\xb5U)\xdfMw\x8b\xc0o4\xcb\x9b\x8f\xc3"
UUID_B = b"\xd3\xd14\x991\xe2B\xd6\x89\xdcvl\x15XJ6"
UUID_ALPHA = b"D\x98\xee$g\xeaB\xb5\x8d,\t\x83\xd3\x9b3*"

S3CRET = AuthKeys(1, (AuthKey(1, AuthMethod.SHA1, b"s3cret"),))


def _trailer(
    src: str, uuid: bytes, seq: str | None, hg: str, ts: str, ld: str | None
) -> list[tuple[str, str | bytes]]:
    pairs: list[tuple[str, str | bytes]] = [(f.F_SRC, src), (f.F_SRCUUID, uuid)]
    if seq is not None:
        pairs.append((f.F_SEQ, seq))
    pairs += [(f.F_HG, hg), (f.F_TS, ts)]
    if ld is not None:
        pairs.append((f.F_LD, ld))
    pairs.append((f.F_TTL, "3"))
    return pairs


BUILT = [
    pytest.param(
        S3CRET,
        HaMessage.of(
            (f.F_TYPE, f.T_STATUS),
            (f.F_STATUS, "init"),
            (f.F_DEADTIME, "1f40"),
            (f.F_PROTOCOL, "1"),
            *_trailer("alpha", UUID_ALPHA, "1", "6b026618", "6b026618", "0.27 0.28 0.14 1/113 12"),
        ),
        b"###\n11:(0)t=status,10:(0)st=init,10:(0)dt=1f40,13:(0)protocol=1,12:(0)src=alpha,"
        b"27:(1)srcuuid=D\x98\xee$g\xeaB\xb5\x8d,\t\x83\xd3\x9b3*,8:(0)seq=1,14:(0)hg=6b026618,"
        b"14:(0)ts=6b026618,29:(0)ld=0.27 0.28 0.14 1/113 12,8:(0)ttl=3,"
        b"50:(0)auth=1 b866992654b017439adfe61555e97e7ac082e68a,%%%\n"
        b"42:1 22d433999cf49abdca845e0219313a267edd1e8d,",
        id="status",
    ),
    pytest.param(
        SECRET,
        HaMessage.of(
            (f.F_TYPE, f.T_ACKMSG),
            (f.F_DEST, "a"),
            (f.F_ACKSEQ, "4"),
            (f.F_DESTUUID, UUID_A),
            *_trailer("a", UUID_A, None, "6b02665c", "6b02665c", None),
        ),
        b"###\n14:(0)t=NS_ackmsg,9:(0)dest=a,11:(0)ackseq=4,"
        b"28:(1)destuuid=\xbf0\xb5U)\xdfMw\x8b\xc0o4\xcb\x9b\x8f\xc3,8:(0)src=a,"
        b"27:(1)srcuuid=\xbf0\xb5U)\xdfMw\x8b\xc0o4\xcb\x9b\x8f\xc3,14:(0)hg=6b02665c,"
        b"14:(0)ts=6b02665c,8:(0)ttl=3,50:(0)auth=1 598e91a072ccfdb20696494f18b3e1483f12163b,"
        b"%%%\n42:1 f87ac6f80a8317f2c13900f5fc7533f9145f2da6,",
        id="NS_ackmsg",
    ),
    pytest.param(
        SECRET,
        HaMessage.of(
            (f.F_DEST, "b"),
            (f.F_TYPE, f.T_REPNODES),
            (f.F_NODELIST, "a b "),
            (f.F_DELNODELIST, " "),
            (f.F_DESTUUID, UUID_B),
            *_trailer("a", UUID_A, "9", "6b02665c", "6b02665f", "0.24 0.27 0.14 2/112 15966"),
        ),
        b"###\n9:(0)dest=b,13:(0)t=repnodes,16:(0)nodelist=a b ,16:(0)delnodelist= ,"
        b"28:(1)destuuid=\xd3\xd14\x991\xe2B\xd6\x89\xdcvl\x15XJ6,8:(0)src=a,"
        b"27:(1)srcuuid=\xbf0\xb5U)\xdfMw\x8b\xc0o4\xcb\x9b\x8f\xc3,8:(0)seq=9,14:(0)hg=6b02665c,"
        b"14:(0)ts=6b02665f,32:(0)ld=0.24 0.27 0.14 2/112 15966,8:(0)ttl=3,"
        b"50:(0)auth=1 5f4fe178d7391f264b6d71e9d4e640951c0ea89d,%%%\n"
        b"42:1 2b47c082fce563320cba6b713d1879cd4cca5998,",
        id="repnodes-dest-first",
    ),
    pytest.param(
        SECRET,
        HaMessage.of(
            (f.F_TYPE, f.T_RESOURCE),
            (f.F_RSC_HOLD, "local"),
            (f.F_RTYPE, "full"),
            (f.F_ISSTABLE, "1"),
            (f.F_INFO, "req_our_resources()"),
            *_trailer("b", UUID_B, "18", "6b02665f", "6b02666a", "0.19 0.25 0.14 2/127 16133"),
        ),
        b"###\n13:(0)t=resource,17:(0)rsc_hold=local,13:(0)rtype=full,13:(0)isstable=1,"
        b"27:(0)info=req_our_resources(),8:(0)src=b,"
        b"27:(1)srcuuid=\xd3\xd14\x991\xe2B\xd6\x89\xdcvl\x15XJ6,9:(0)seq=18,14:(0)hg=6b02665f,"
        b"14:(0)ts=6b02666a,32:(0)ld=0.19 0.25 0.14 2/127 16133,8:(0)ttl=3,"
        b"50:(0)auth=1 b1ab4ac559d6354f78803ba8b7e02027c3f9c32e,%%%\n"
        b"42:1 c2ada4180adf98eccaf571d2013a18f519daf6c0,",
        id="resource-info",
    ),
]


@pytest.mark.parametrize(("authkeys", "msg", "wire"), BUILT)
def test_message_built_in_observed_order_signs_to_captured_bytes(
    captures: dict[str, Capture], authkeys: AuthKeys, msg: HaMessage, wire: bytes
) -> None:
    """A message written field by field in the observed order, signed, equals the capture."""
    assert any(wire in c.packets for c in captures.values())
    assert Signer(authkeys).datagram(msg) == wire
