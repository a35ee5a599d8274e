"""Scale: 2, 4, 8, 16 nodes on one bridge at keepalive 200 ms: CPU per node, packets/s.

For each size a Heartbeat cluster, then a pyhb cluster, runs idle (the VIP on the first
node); CPU time of every process in each node's namespace is counted over the window,
and packets sent by all nodes (hb0 tx counters) give the packets per second on the bridge.

    sudo python -m bench.scale [--sizes 2,4,8,16] [--duration 20] [--keepalive 200ms]
"""

from __future__ import annotations

import string
import sys
import time

from bench._common import (
    Table,
    base_parser,
    cluster,
    cpu_seconds,
    kinds,
    link_counters,
    node_pids,
    print_report,
    run_main,
    say,
    timings,
)
from pyhb.lab.cluster import wait_for


def one(
    kind: str, size: int, keepalive: str, deadtime: str, duration: float, warmup: float
) -> tuple[float, float, float]:
    """(mean CPU % per node, max CPU % of a node, packets/s sent on the bridge)."""
    names = list(string.ascii_lowercase[:size])
    with cluster(
        kind, names, client=False, auto_failback="on", **timings(keepalive, deadtime)
    ) as c:
        for n in names:
            c.start(n)
        wait_for(lambda: c.has_vip("a"), 90, 0.1)
        time.sleep(warmup)
        nodes = [c.lab[n] for n in names]
        pids = {n: node_pids(c, n) for n in names}
        cpu0 = {n: cpu_seconds(pids[n]) for n in names}
        tx0 = sum(link_counters(node)[1] for node in nodes)
        t0 = time.monotonic()
        time.sleep(duration)
        elapsed = time.monotonic() - t0
        tx1 = sum(link_counters(node)[1] for node in nodes)
        cpu = [(cpu_seconds(pids[n]) - cpu0[n]) / elapsed * 100 for n in names]
    mean = sum(cpu) / len(cpu)
    pps = (tx1 - tx0) / elapsed
    say(
        f"{kind} {size} nodes: CPU/node mean {mean:.2f} % max {max(cpu):.2f} %, {pps:.0f} packets/s"
    )
    return mean, max(cpu), pps


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="2,4,8,16")
    p.add_argument("--duration", type=float, default=20, help="seconds measured per size")
    p.add_argument("--warmup", type=float, default=5, help="idle seconds before measuring")
    p.add_argument("--keepalive", default="200ms")
    p.add_argument("--deadtime", default="1")
    args = p.parse_args()
    table = Table(f"Scale at keepalive {args.keepalive}, {args.duration:g} s per size")
    for size in (int(s) for s in args.sizes.split(",")):
        res = {
            k: one(k, size, args.keepalive, args.deadtime, args.duration, args.warmup)
            for k in kinds(args)
        }
        hb, py = res.get("heartbeat"), res.get("pyhb")
        target = "<= 1 %" if size == 16 else ""
        table.add(f"{size} nodes: CPU per node, mean", hb and hb[0], py and py[0], "%", target)
        table.add(f"{size} nodes: CPU per node, max", hb and hb[1], py and py[1], "%")
        table.add(f"{size} nodes: packets/s on the bridge", hb and hb[2], py and py[2], "pps")
    print_report([table], ["bench.scale", *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    run_main(main)
