"""Captured heartbeat 3.0.6 datagrams (tests/data/captures), parsed once per session."""

from __future__ import annotations

import base64
import functools
import gzip
import json
import struct
from dataclasses import dataclass
from pathlib import Path

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
HB_PORT = 694

SECRET = AuthKeys(1, (AuthKey(1, AuthMethod.SHA1, b"secret"),))
S3CRET = AuthKeys(1, (AuthKey(1, AuthMethod.SHA1, b"s3cret"),))


@dataclass(frozen=True)
class Capture:
    name: str
    authkeys: AuthKeys
    packets: tuple[bytes, ...]


def read_pcap_udp(path: Path, port: int = HB_PORT) -> list[bytes]:
    """UDP payloads to/from ``port`` in a little-endian Ethernet pcap (optionally gzipped)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "little-endian microsecond pcap expected"
    assert struct.unpack_from("<I", data, 20)[0] == 1, "Ethernet link type expected"
    pos, out = 24, []
    while pos < len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, pos)
        frame = data[pos + 16 : pos + 16 + incl]
        pos += 16 + incl
        if frame[12:14] != b"\x08\x00" or frame[23] != 17:  # IPv4, UDP
            continue
        udp = frame[14 + (frame[14] & 0x0F) * 4 :]
        sport, dport, length = struct.unpack_from(">HHH", udp)
        if port in (sport, dport):
            out.append(udp[8:length])
    return out


def read_jsonl_payloads(path: Path) -> list[bytes]:
    return [
        base64.b64decode(json.loads(line)["payload_b64"])
        for line in path.read_text().splitlines()
        if line.strip()
    ]


@functools.cache
def load_captures() -> dict[str, Capture]:
    """Every capture, keyed by name (parsed once)."""
    caps = [
        Capture(
            "2node", S3CRET, tuple(read_jsonl_payloads(CAPTURES / "heartbeat-capture-2node.jsonl"))
        ),
        Capture("lifecycle", SECRET, tuple(read_pcap_udp(CAPTURES / "lifecycle.pcap.gz"))),
        Capture("loss", SECRET, tuple(read_pcap_udp(CAPTURES / "loss.pcap"))),
        Capture("standby", SECRET, tuple(read_pcap_udp(CAPTURES / "timing-1s-standby.pcap"))),
    ]
    for line in (CAPTURES / "spec-2.6-vectors.jsonl").read_text().splitlines():
        obj = json.loads(line)
        key = AuthKey(obj["index"], AuthMethod(obj["method"]), obj["key"].encode())
        caps.append(
            Capture(
                f"spec-{obj['method']}",
                AuthKeys(key.index, (key,)),
                (base64.b64decode(obj["payload_b64"]),),
            )
        )
    return {c.name: c for c in caps}


CAPTURE_NAMES = ("2node", "lifecycle", "loss", "standby", "spec-sha1", "spec-md5", "spec-crc")
