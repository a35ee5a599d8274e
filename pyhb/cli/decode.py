"""``pyhb decode``: decode and verify captured heartbeat datagrams, one line per message.

Reads pcap / pcap.gz / pcapng files (UDP payloads to or from the heartbeat port, with
scapy, imported only when a pcap is read) and JSON-lines captures (one object per line with
``t``, ``src``, ``dst``, ``payload_b64``). Exit status: 0 when every message decoded and (if
keys were given) authenticated, 1 otherwise, 2 on a usage error.
Imports ``pyhb.wire`` and ``pyhb.config`` (and scapy lazily); no daemon code.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyhb.cli.tool import parse_args
from pyhb.config.authkeys import parse_authkeys
from pyhb.config.model import DEFAULT_UDPPORT, AuthKey, AuthKeys, AuthMethod
from pyhb.config.source import Severity
from pyhb.errors import PyhbError
from pyhb.wire import fields as f
from pyhb.wire.auth import Verifier
from pyhb.wire.errors import AuthError, DecodeError
from pyhb.wire.message import HaMessage, Value, decode

# Fields every message carries; the rest are what a line shows after t/src/seq.
_COMMON = frozenset(f.TRAILER_ORDER) | {f.F_TYPE}


@dataclass(frozen=True, slots=True)
class Record:
    """One captured datagram."""

    time: float
    src: str
    dst: str
    payload: bytes


# pcap (both byte orders, micro- and nanosecond) and pcapng section header.
_PCAP_MAGICS = frozenset(
    {
        b"\xd4\xc3\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\x4d\x3c\xb2\xa1",
        b"\xa1\xb2\x3c\x4d",
        b"\x0a\x0d\x0d\x0a",
    }
)


class CaptureError(PyhbError):
    """A capture file cannot be read."""


# --- keys -----------------------------------------------------------------------------


def load_authkeys(path: Path) -> AuthKeys:
    """Parse an authkeys file with ``pyhb.config.authkeys`` (permissions are not checked:
    this is an offline tool).

    Raises:
        ValueError: the file is unusable; the message names every error line.
    """
    text = path.read_text(errors="surrogateescape")
    keys, issues = parse_authkeys(text, str(path))
    if keys is None:
        errors = [str(i) for i in issues if i.severity is Severity.ERROR]
        raise ValueError("\n".join(errors) or f"{path}: unusable authkeys file")
    return keys


def _make_key(index: int, method: str, secret: list[str], where: str) -> AuthKey:
    try:
        m = AuthMethod(method)
    except ValueError:
        raise ValueError(f"{where}: unknown method {method!r} (crc, md5, sha1)") from None
    if not m.keyed and secret:
        raise ValueError(f"{where}: method crc takes no key")
    if m.keyed and not secret:
        raise ValueError(f"{where}: method {m} requires a key")
    return AuthKey(index, m, secret[0].encode(errors="surrogateescape") if secret else b"")


_KEYSPEC = re.compile(r"(?P<method>[a-z0-9]+)(?::(?P<secret>.*?))?(?::(?P<index>\d+))?")


def parse_key_option(spec: str) -> AuthKey:
    """``METHOD:SECRET[:INDEX]`` (``crc`` or ``crc::INDEX`` for crc); INDEX defaults to 1."""
    m = _KEYSPEC.fullmatch(spec)
    if m is None:
        raise ValueError("bad --key: expected METHOD:SECRET[:INDEX]")
    index = int(m["index"]) if m["index"] else 1
    secret = [m["secret"]] if m["secret"] else []
    return _make_key(index, m["method"], secret, "--key")


# --- captures ---------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[Record]:
    """Records of a JSON-lines capture."""
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            yield Record(
                float(obj["t"]),
                str(obj["src"]),
                str(obj["dst"]),
                base64.b64decode(obj["payload_b64"], validate=True),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise CaptureError(f"{path}:{lineno}: not a capture record ({exc})") from exc


def read_pcap(path: Path, port: int) -> Iterator[Record]:
    """UDP payloads to or from ``port`` in a pcap, pcap.gz or pcapng file."""
    # scapy is heavy to import: only when a pcap is actually read.
    from scapy.error import Scapy_Exception  # noqa: PLC0415
    from scapy.layers.inet import UDP  # noqa: PLC0415
    from scapy.utils import PcapReader  # noqa: PLC0415

    try:
        reader = PcapReader(str(path))
    except (Scapy_Exception, OSError, EOFError) as exc:
        raise CaptureError(f"{path}: cannot read capture ({exc})") from exc
    with reader:
        for pkt in reader:
            if UDP not in pkt:
                continue
            udp = pkt[UDP]
            if port not in (udp.sport, udp.dport):
                continue
            ip = udp.underlayer
            yield Record(
                float(pkt.time),
                f"{ip.src}:{udp.sport}",
                f"{ip.dst}:{udp.dport}",
                bytes(udp.payload),
            )


def read_capture(path: Path, port: int) -> Iterator[Record]:
    """Records of any supported capture file, chosen by name and content."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise CaptureError(f"{path}: {exc.strerror}") from exc
    if path.suffix in {".jsonl", ".json"} or head.lstrip().startswith(b"{"):
        return read_jsonl(path)
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4)
        except (OSError, EOFError) as exc:
            raise CaptureError(f"{path}: bad gzip file ({exc})") from exc
    if head[:4] not in _PCAP_MAGICS:
        raise CaptureError(f"{path}: neither a pcap/pcapng file nor JSON lines")
    return read_pcap(path, port)


# --- rendering --------------------------------------------------------------------------


def _show(value: Value) -> str:
    if isinstance(value, bytes):
        return value.hex()
    if not isinstance(value, str):
        return f"({value.ftype}){value.raw.hex()}"
    if value and value.isprintable() and " " not in value:
        return value
    return repr(value)


def describe(msg: HaMessage) -> str:
    """``t=TYPE src=NODE [seq=S] NAME=VALUE...`` with the type's own fields in wire order."""
    words = [f"t={_show(msg.type or '')}", f"src={_show(msg.get(f.F_SRC) or '')}"]
    seq = msg.get(f.F_SEQ)
    if seq is not None:
        words.append(f"seq={_show(seq)}")
    words += [f"{n}={_show(v)}" for n, v in msg.fields if n not in _COMMON]
    return " ".join(words)


def _check(verifier: Verifier | None, payload: bytes, inner: bool) -> tuple[str, bool]:
    if verifier is None:
        return "auth ?", True
    notes = []
    try:
        msg = verifier.verify(payload)
    except AuthError as exc:
        return f"auth BAD ({exc})", False
    if inner and msg.get(f.F_AUTH) is not None:
        try:
            verifier.check_inner(msg)
            notes.append("inner ok")
        except AuthError as exc:
            notes.append(f"inner BAD ({exc})")
    return " ".join([*notes, "auth ok"]), True


def process(record: Record, verifier: Verifier | None, inner: bool) -> tuple[str, bool]:
    """One output line for one datagram, and whether it decoded and verified."""
    stamp = datetime.fromtimestamp(record.time, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    head = f"{stamp} {record.src} -> {record.dst} {len(record.payload)}B"
    try:
        decoded = decode(record.payload)
    except DecodeError as exc:
        return f"{head} undecodable ({exc})", False
    verdict, ok = _check(verifier, record.payload, inner)
    return f"{head} {describe(decoded.message)}  {verdict}", ok


# --- command ----------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyhb decode", description=__doc__.splitlines()[0])
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--authkeys", type=Path, metavar="FILE", help="verify with this file")
    keys.add_argument(
        "--key",
        action="append",
        metavar="METHOD:SECRET[:INDEX]",
        help="verify with this key (repeatable; the first is the active one)",
    )
    p.add_argument("--port", type=int, default=DEFAULT_UDPPORT, help="UDP port (pcap only)")
    p.add_argument("--inner", action="store_true", help="also check the embedded auth field")
    p.add_argument("captures", nargs="+", type=Path, metavar="CAPTURE")
    return p


def _verifier(args: argparse.Namespace) -> Verifier | None:
    if args.authkeys is not None:
        return Verifier(load_authkeys(args.authkeys))
    if args.key:
        keys = [parse_key_option(k) for k in args.key]
        return Verifier(AuthKeys(keys[0].index, tuple(keys)))
    return None


def main(argv: list[str]) -> int:
    """Decode every capture; exit 0 only if every message decoded (and verified)."""
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    try:
        verifier = _verifier(args)
    except (ValueError, OSError) as exc:
        print(f"pyhb decode: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args.captures, args.port, verifier, args.inner)
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - interpreter exit flushes it
        return 1


def _run(paths: list[Path], port: int, verifier: Verifier | None, inner: bool) -> int:
    all_ok = True
    count = 0
    for path in paths:
        try:
            for record in read_capture(path, port):
                line, ok = process(record, verifier, inner)
                print(line)
                all_ok = all_ok and ok
                count += 1
        except CaptureError as exc:
            print(f"pyhb decode: {exc}", file=sys.stderr)
            all_ok = False
    if count == 0:
        print("pyhb decode: no heartbeat datagrams found", file=sys.stderr)
    return 0 if all_ok else 1
