"""Floods of junk datagrams and busy processes, for the lab's hostile-load runs.

    python -m pyhb.lab.flood KIND RATE SECONDS [--to 10.77.0.255] [--nodes a,b]

run inside a lab namespace (the client's: a host on the LAN without the key), sends
RATE datagrams a second of KIND to the heartbeat port for SECONDS, then prints one JSON
line ``{"kind", "sent", "errors", "seconds"}``. Kinds:

* ``big``: classic (``>>>``) messages of 65 000 bytes, thousands of fields, a wrong
  ``auth`` line (3.0.6 parses every field before it checks).
* ``steady``: statuses in the exact steady layout (``wire.steady``), from each of the
  cluster's nodes in turn, with rising sequence numbers, signed with a key the cluster
  does not have: what the twin socket takes (``net.split``).
* ``spoofed``: small classic messages with a wrong ``auth``, each from another forged
  source address in 10.77.0.0/16 (raw socket), so no per-source limit can apply.

``busy(n)`` starts ``n`` processes that spin on the CPU (and, with ``touch_mb``, keep
rewriting that much memory each), for the load runs; the caller kills them.
Only ever run inside namespaces the lab created (the target is the lab's broadcast).
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Sequence

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.wire.auth import Signer

PORT = 694
BIG = 65000
WRONG = AuthKeys(1, (AuthKey(1, AuthMethod.SHA1, b"not-the-cluster-key"),))
TICK = 0.005  # the sender catches up with its rate every TICK
_rng = random.Random()  # noqa: S311 - junk, not secrets


def big_datagrams(count: int = 8) -> list[bytes]:
    out = []
    for n in range(count):
        head = f">>>\nt=status\nst=active\nsrc=x{n}\nseq={n + 1:x}\nhg=1\n".encode()
        body = bytearray(head)
        i = 0
        while len(body) < BIG - 64:
            body += b"f%d=%s\n" % (i, b"v" * 20)
            i += 1
        body += b"auth=1 " + b"0" * 40 + b"\n<<<\n"
        out.append(bytes(body))
    return out


def steady_datagrams(nodes: Sequence[str], count: int = 2000) -> list[bytes]:
    signer = Signer(WRONG, inner=True)
    out = []
    for n in range(count):
        src = nodes[n % len(nodes)]
        pairs: list[tuple[str, str | bytes]] = [
            ("t", "status"),
            ("st", "active"),
            ("dt", "3e8"),
            ("protocol", "1"),
            ("src", src),
            ("srcuuid", (src.encode() * 16)[:16]),
            ("seq", f"{n + 100:x}"),
            ("hg", f"{int(time.time()):x}"),
            ("ts", f"{int(time.time()):x}"),
            ("ld", "0.10 0.10 0.10 1/100 100"),
            ("ttl", "3"),
        ]
        out.append(signer.datagram_of(pairs))
    return out


def spoofed_payloads(count: int = 64) -> list[bytes]:
    return [
        b">>>\nt=status\nst=active\nsrc=x%d\nseq=%x\nhg=1\nauth=1 %s\n<<<\n"
        % (n, n + 1, b"%040x" % _rng.getrandbits(160))
        for n in range(count)
    ]


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    total = (total >> 16) + (total & 0xFFFF)
    return int(~(total + (total >> 16)) & 0xFFFF)


def _spoofed_packet(payload: bytes, source: str, target: str) -> bytes:
    udp = struct.pack("!HHHH", _rng.randint(1024, 65535), PORT, 8 + len(payload), 0)
    total = 20 + len(udp) + len(payload)
    fields = (0x45, 0, total, _rng.getrandbits(16), 0, 64, socket.IPPROTO_UDP)
    src, dst = socket.inet_aton(source), socket.inet_aton(target)
    header = struct.pack("!BBHHHBBH4s4s", *fields, 0, src, dst)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + udp + payload


def flood(
    kind: str, rate: float, seconds: float, target: str, nodes: Sequence[str]
) -> dict[str, object]:
    if kind == "spoofed":
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        payloads = spoofed_payloads()
        sources = [f"10.77.{_rng.randint(1, 254)}.{_rng.randint(1, 254)}" for _ in range(4096)]
        datagrams = [
            _spoofed_packet(payloads[i % len(payloads)], sources[i], target)
            for i in range(len(sources))
        ]
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        datagrams = big_datagrams() if kind == "big" else steady_datagrams(nodes)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setblocking(False)
    address = (target, PORT if kind != "spoofed" else 0)
    sent = errors = 0
    start = time.monotonic()
    end = start + seconds
    while (now := time.monotonic()) < end:
        due = int((now - start) * rate)
        while sent + errors < due:
            try:
                sock.sendto(datagrams[(sent + errors) % len(datagrams)], address)
                sent += 1
            except OSError:
                errors += 1
        time.sleep(TICK)
    sock.close()
    return {
        "kind": kind,
        "sent": sent,
        "errors": errors,
        "seconds": round(time.monotonic() - start, 2),
    }


_SPIN = """
import sys
mb = int(sys.argv[1])
buf = bytearray(mb << 20)
while True:
    for i in range(0, len(buf), 4096):
        buf[i] = (buf[i] + 1) & 255
    if not mb:
        sum(range(100000))
"""


def busy(count: int, touch_mb: int = 0) -> list[subprocess.Popen[bytes]]:
    """``count`` processes that keep a CPU busy (rewriting ``touch_mb`` MB each)."""
    return [
        subprocess.Popen(
            [sys.executable, "-c", _SPIN, str(touch_mb)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
    for proc in procs:
        proc.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyhb.lab.flood")
    parser.add_argument("kind", choices=("big", "steady", "spoofed"))
    parser.add_argument("rate", type=float)
    parser.add_argument("seconds", type=float)
    parser.add_argument("--to", default="10.77.0.255")
    parser.add_argument("--nodes", default="a,b")
    args = parser.parse_args(argv)
    result = flood(args.kind, args.rate, args.seconds, args.to, args.nodes.split(","))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
