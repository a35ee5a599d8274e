"""The ICMP echo packets of ping nodes and the mapping of replies to ping node names."""

from __future__ import annotations

import logging
import struct

import pytest

from pyhb.net.icmp import Pinger, checksum, echo_request, parse_reply


def test_an_echo_request_carries_type_8_identifier_sequence_and_a_valid_checksum() -> None:
    packet = echo_request(0x1234, 7, b"abc")
    kind, code, _csum, ident, seq = struct.unpack("!BBHHH", packet[:8])
    assert (kind, code, ident, seq, packet[8:]) == (8, 0, 0x1234, 7, b"abc")
    assert checksum(packet) == 0  # a correct checksum sums the packet to zero


def test_the_sequence_number_wraps_at_16_bits() -> None:
    assert struct.unpack("!H", echo_request(1, 0x10001)[6:8]) == (1,)


def test_checksum_of_a_known_packet() -> None:
    # RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2


def _reply(ident: int, seq: int, kind: int = 0) -> bytes:
    return struct.pack("!BBHHH", kind, 0, 0, ident, seq) + b"data"


def test_replies_are_parsed_with_or_without_the_ip_header() -> None:
    ip_header = bytes([0x45]) + bytes(19)
    assert parse_reply(ip_header + _reply(9, 3), raw=True) == (9, 3)
    assert parse_reply(_reply(9, 3), raw=False) == (9, 3)
    assert parse_reply(ip_header + _reply(9, 3, kind=8), raw=True) is None  # a request
    assert parse_reply(b"\x45", raw=True) is None
    assert parse_reply(b"\0\0", raw=False) is None


def test_replies_map_to_every_ping_node_of_the_address_and_names_are_resolved_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []
    names = {"gw": "10.0.0.1", "10.0.0.1": "10.0.0.1", "10.0.0.2": "10.0.0.2"}

    def resolve(name: str) -> str:
        if name not in names:
            raise OSError("unknown host")
        return names[name]

    pinger = Pinger(
        {"10.0.0.1": ("10.0.0.1",), "grp": ("gw", "10.0.0.2", "nowhere")},
        0.5,
        seen.append,
        resolve=resolve,
    )
    assert pinger.by_address == {"10.0.0.1": ["10.0.0.1", "grp"], "10.0.0.2": ["grp"]}
    assert "ping node grp: cannot resolve nowhere" in caplog.text
    assert caplog.records[0].levelno == logging.ERROR
