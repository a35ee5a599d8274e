"""``wire.steady`` against the general codec: whatever ``read_status`` accepts, ``decode``
reads the same way, and ``Template`` writes what ``Signer.datagram_of`` writes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.core.handlers import hex_field as _hex  # what the engine makes of a hex field
from pyhb.wire.auth import Signer, Verifier
from pyhb.wire.message import HaMessage, decode, encode_body, encode_netstring
from pyhb.wire.steady import Status, Template, read_status

from .profiles import TIMEOUT
from .test_wire_properties import KEYS, PACKETS, mutated_packets

pytestmark = pytest.mark.timeout(TIMEOUT)

LAYOUT = ("t", "st", "dt", "protocol", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl")
_TOKEN = re.compile(r"(\d{1,9}) (\S+)")
METHOD_KEYS = {
    "sha1": AuthKeys(3, (AuthKey(3, AuthMethod.SHA1, b"s3cret"),)),
    "md5": AuthKeys(1, (AuthKey(1, AuthMethod.MD5, b"md5 key"),)),
    "crc": AuthKeys(2, (AuthKey(2, AuthMethod.CRC, b""),)),
}


def assert_agrees(buf: bytes) -> Status | None:
    """If ``read_status`` takes ``buf``, the general decoder reads it the same way: the
    same fields in the steady layout, the same signed bytes and trailer token."""
    got = read_status(buf)
    if got is None:
        return None
    decoded = decode(buf)  # must not raise
    msg = decoded.message
    names = msg.names()
    assert names in (LAYOUT, (*LAYOUT, "auth")), names
    assert decoded.framing == "netstring"
    assert msg.type == "status"
    assert msg.get("dest") is None
    assert msg.get("ts")
    assert msg.get("src") == got.src
    assert (msg.get("st") or "") == got.st
    assert _hex(msg.get("dt")) == got.dt
    assert msg.get("protocol") is not None
    assert msg.get_bytes("srcuuid") == got.uuid
    assert _hex(msg.get("seq")) == got.seq
    assert (_hex(msg.get("hg")) or 0) == got.gen
    assert decoded.signed == got.signed
    assert decoded.trailer is not None
    token = _TOKEN.fullmatch(decoded.trailer)
    assert token is not None
    assert (int(token[1]), token[2]) == (got.key_index, got.digest)
    return got


def test_every_status_of_the_capture_is_read_the_steady_way() -> None:
    """3.0.6's own statuses (init, up, active) are all in the steady layout."""
    statuses = [p for p in PACKETS if p.startswith(b"###\n11:(0)t=status,")]
    assert len(statuses) > 20
    verifier = Verifier(KEYS)
    for packet in statuses:
        got = assert_agrees(packet)
        assert got is not None, packet
        verifier.check_trailer(got.key_index, got.digest, got.signed)  # authentic
    others = [p for p in PACKETS if not p.startswith(b"###\n11:(0)t=status,")]
    assert others
    assert all(read_status(p) is None for p in others)


@given(mutated_packets())
def test_a_mutated_datagram_is_read_as_the_decoder_reads_it(case: tuple[bytes, bytes]) -> None:
    assert_agrees(case[1])


@pytest.mark.parametrize(
    "field",
    [b"st=up", b"dt=1f40", b"src=alpha", b"seq=3", b"hg=", b"ts=", b"ld=", b"ttl=3", b"auth="],
)
def test_a_length_that_does_not_match_its_field_leaves_it_to_the_general_path(
    field: bytes,
) -> None:
    packet = PACKETS[2]  # an "up" status of 3.0.6
    assert read_status(packet) is not None
    at = packet.index(b":(0)" + field)
    start = packet.rindex(b",", 0, at) + 1
    length = int(packet[start:at])
    for wrong in (length - 1, length + 1):
        mutant = packet[:start] + str(wrong).encode() + packet[at:]
        assert read_status(mutant) is None
    trailer = packet.index(b"%%%\n") + 4
    mutant = packet[:trailer] + b"43" + packet[trailer + 2 :]
    assert read_status(mutant) is None


texts = st.text(max_size=24)
words = st.one_of(st.sampled_from(["init", "up", "active", "dead"]), texts)
hexes = st.one_of(st.integers(0, 2**64 - 1).map(lambda n: f"{n:x}"), texts)


@st.composite
def statuses(draw: st.DrawFn) -> tuple[HaMessage, bool]:
    """A status in the steady layout with any values, and whether every value is one the
    pattern covers (so ``read_status`` must take it)."""
    src = draw(st.one_of(st.sampled_from(["alpha", "node-2.example"]), st.text(min_size=1)))
    fields = {
        "st": draw(words),
        "dt": draw(hexes),
        "src": src,
        "seq": draw(hexes),
        "hg": draw(hexes),
        "ts": draw(hexes),
        "ld": draw(st.one_of(st.just("0.27 0.28 0.14 1/113 12"), texts)),
        "ttl": draw(st.one_of(st.integers(0, 99).map(str), texts)),
    }
    uuid = draw(st.binary(min_size=16, max_size=16))
    pairs: list[tuple[str, str | bytes]] = [
        ("t", "status"),
        ("st", fields["st"]),
        ("dt", fields["dt"]),
        ("protocol", "1"),
        ("src", src),
        ("srcuuid", uuid),
        ("seq", fields["seq"]),
        ("hg", fields["hg"]),
        ("ts", fields["ts"]),
        ("ld", fields["ld"]),
        ("ttl", fields["ttl"]),
    ]
    raw = {k: v.encode("utf-8", "surrogateescape") for k, v in fields.items()}
    covered = (
        re.fullmatch(rb"[a-z]{1,16}", raw["st"]) is not None
        and all(re.fullmatch(rb"[0-9a-f]{1,16}", raw[k]) for k in ("dt", "seq", "hg", "ts"))
        and re.fullmatch(rb"[^,]{1,256}", raw["src"]) is not None
        and re.fullmatch(rb"[^,]{0,256}", raw["ld"]) is not None
        and re.fullmatch(rb"[0-9]{1,9}", raw["ttl"]) is not None
    )
    return HaMessage(tuple(pairs)), covered


@given(statuses(), st.sampled_from(sorted(METHOD_KEYS)), st.booleans())
def test_a_status_pyhb_or_3_0_6_could_send_is_read_the_steady_way(
    case: tuple[HaMessage, bool], method: str, inner: bool
) -> None:
    msg, covered = case
    keys = METHOD_KEYS[method]
    data = Signer(keys, inner=inner).datagram(msg)
    got = assert_agrees(data)
    assert (got is not None) == covered
    if got is not None:
        Verifier(keys).check_trailer(got.key_index, got.digest, got.signed)


@given(statuses(), st.binary(min_size=1, max_size=8))
def test_bytes_after_the_trailer_leave_it_to_the_general_path(
    case: tuple[HaMessage, bool], junk: bytes
) -> None:
    body = encode_body(case[0])
    assert read_status(body + encode_netstring(b"1 abc") + junk) is None


names = st.text(min_size=1, max_size=10).filter(lambda s: "=" not in s and "\0" not in s)
values = st.one_of(st.text(max_size=30), st.binary(max_size=30))


@given(
    st.lists(st.tuples(names, values), max_size=8),
    st.lists(st.text(max_size=30), min_size=1, max_size=4),
    st.data(),
    st.sampled_from(sorted(METHOD_KEYS)),
    st.booleans(),
)
def test_a_template_writes_what_the_signer_writes(
    constant: list[tuple[str, str | bytes]],
    slot_values: list[str],
    data: st.DataObject,
    method: str,
    inner: bool,
) -> None:
    slot_names = [f"slot{i}%" for i in range(len(slot_values))]
    pairs: list[tuple[str, str | bytes]] = [p for p in constant if not p[0].startswith("slot")]
    for name in slot_names:  # the slots go anywhere among the constant fields
        pairs.insert(data.draw(st.integers(0, len(pairs))), (name, ""))
    signer = Signer(METHOD_KEYS[method], inner=inner)
    template = Template(signer, pairs, slot_names)
    filled = dict(zip(slot_names, slot_values, strict=True))
    in_order = [filled[name] for name, _ in pairs if name in filled]
    expected = [(n, filled[n]) if n in filled else (n, v) for n, v in pairs]
    assert template.datagram(*in_order) == signer.datagram_of(expected)


def test_a_template_writes_what_the_signer_writes_for_awkward_values() -> None:
    signer = Signer(KEYS)
    pairs: list[tuple[str, str | bytes]] = [("t", "st%dus"), ("seq", ""), ("b", b"%s,\n")]
    template = Template(signer, [*pairs, ("ld", "")], ["seq", "ld"])
    for seq, ld in (("%s", "%d\n"), ("", ""), ("\udcff", "1,2")):
        expected = signer.datagram_of([("t", "st%dus"), ("seq", seq), ("b", b"%s,\n"), ("ld", ld)])
        assert template.datagram(seq, ld) == expected


def test_a_template_refuses_slots_it_does_not_have() -> None:
    signer = Signer(KEYS)
    with pytest.raises(ValueError, match="exactly one field"):
        Template(signer, [("t", "status"), ("seq", "1")], ["seq", "ts"])
    with pytest.raises(ValueError, match="exactly one field"):
        Template(signer, [("seq", "1"), ("seq", "2")], ["seq"])
    with pytest.raises(ValueError, match="slot values expected"):
        Template(signer, [("t", "status"), ("seq", "1")], ["seq"]).datagram("1", "2")
