"""A floor for idle CPU: what the least a heartbeat loop in Python costs here.

Four pairs run at the same time at keepalive 200 ms, each in its own lab: Heartbeat
3.0.6, pyhb, and twice a minimal loop under pyhb's interpreter that does only what every
heartbeat daemon must each keepalive: wake on an asyncio timer, sign a 300-byte status
with HMAC-SHA1 (``cryptography``), broadcast it on hb0 from the socket pyhb's ``bcast``
medium opens, and read and verify every datagram that arrives (the peer's, and its own
looped back). One loop reads datagrams as they come (``add_reader``), the other only
at its timer (one wake-up per keepalive). Nothing else: no sequence numbers kept, no
membership, no logging, no resources. CPU is user + system time of every process in
each node's namespace.

    sudo python -m bench.floor [--duration 120]
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from bench import _common
from bench._common import (
    Table,
    base_parser,
    cluster,
    cpu_seconds,
    kinds,
    namespace_pids,
    node_pids,
    print_report,
    rejoin_wait,
    run_main,
    say,
    timings,
)
from pyhb.lab.cluster import wait_for
from pyhb.lab.netns import Lab

LOOP = r"""
import asyncio, sys, time
from cryptography.hazmat.primitives import hashes, hmac
from pyhb.config.model import Bcast
from pyhb.net.sockets import open_medium

KEY = hmac.HMAC(b"secret", hashes.SHA1())
lazy = sys.argv[1] == "lazy"

def digest(body):
    h = KEY.copy()
    h.update(body)
    return h.finalize().hex().encode()

async def main():
    ms = open_medium(Bcast("hb0", 694))
    sock, loop, seq = ms.sock, asyncio.get_running_loop(), 0

    def readable():
        while True:
            try:
                data, _ = sock.recvfrom(65536)
            except BlockingIOError:
                return
            body, _, mac = data.rpartition(b"|")
            if digest(body) != mac:
                raise SystemExit("bad digest")

    def tick():
        nonlocal seq
        if lazy:
            readable()
        seq += 1
        body = b"###\n11:(0)t=status,12:(0)st=active,seq=%x,ts=%x," % (seq, int(time.time()))
        body += b"x" * (250 - len(body))
        sock.sendto(body + b"|" + digest(body), ms.destination)
        loop.call_at(loop.time() + 0.2, tick)

    if not lazy:
        loop.add_reader(sock.fileno(), readable)
    tick()
    await asyncio.Future()

asyncio.run(main())
"""


FLOORS = {
    "prompt": "reading as datagrams come",
    "lazy": "reading at its timer",
}


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=120, help="seconds measured (default 120)")
    p.add_argument("--warmup", type=float, default=10, help="idle seconds before measuring")
    args = p.parse_args()
    nodes = ("a", "b")
    root = str(Path(__file__).resolve().parents[1])
    with contextlib.ExitStack() as stack:
        clusters = {
            k: stack.enter_context(cluster(k, auto_failback="on", **timings("200ms", "1")))
            for k in kinds(args)
        }
        for c in clusters.values():
            for n in nodes:
                c.start(n)
        env = {**os.environ, "PYTHONPATH": root}
        floor_labs, loops = {}, []
        for mode in FLOORS:
            floor_labs[mode] = lab = stack.enter_context(Lab(nodes, client=False))
            loops += [lab[n].spawn([_common.PYHB_PYTHON, "-c", LOOP, mode], env=env) for n in nodes]
        for c in clusters.values():
            wait_for(lambda c=c: c.has_vip("a"), 60, 0.1)
            rejoin_wait(c, "a", "b")
        time.sleep(args.warmup)
        for proc in loops:
            if proc.poll() is not None:
                sys.exit(f"the minimal loop exited with {proc.returncode}; see its log")
        pids = {k: [node_pids(c, n) for n in nodes] for k, c in clusters.items()}
        for mode, lab in floor_labs.items():
            pids[mode] = [namespace_pids(lab[n]) for n in nodes]
        say(f"measuring {args.duration:g} s")
        cpu0 = {k: [cpu_seconds(p) for p in v] for k, v in pids.items()}
        t0 = time.monotonic()
        time.sleep(args.duration)
        elapsed = time.monotonic() - t0
        cpu = {
            k: sum(cpu_seconds(p) - c for p, c in zip(v, cpu0[k], strict=True))
            / len(nodes)
            / elapsed
            * 100
            for k, v in pids.items()
        }
    hb = cpu.get("heartbeat")
    table = Table(f"Idle CPU per node, keepalive 200ms, {args.duration:g} s")
    table.add("CPU, % of one core: the daemon", hb, cpu.get("pyhb"), "%", "<= 0.7 x Heartbeat")
    for mode, what in FLOORS.items():
        table.add(f"CPU, % of one core: minimal loop, {what}", hb, cpu[mode], "%")
    print_report(
        [table],
        ["bench.floor", *sys.argv[1:]],
        notes=[
            "The minimal loops are in the pyhb column of their rows: timer, HMAC-SHA1 "
            "sign, one broadcast sent, every datagram received verified; nothing else."
        ],
    )
    return 0


if __name__ == "__main__":
    run_main(main)
