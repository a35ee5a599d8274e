"""Idle footprint: RSS summed over every process of the daemon, CPU over 60 s.

A Heartbeat pair and a pyhb pair run at the same time (two labs) at keepalive 200 ms,
idle after start-up (the VIP up on node a). Every process in a node's namespace belongs
to its daemon; their RSS (and PSS) is summed and sampled every 10 s, and their CPU time
(user + system, with reaped children) counted over the window.

    sudo python -m bench.footprint [--duration 60] [--keepalive 200ms] [--deadtime 1]
"""

from __future__ import annotations

import contextlib
import sys
import time

from bench._common import (
    Table,
    base_parser,
    cluster,
    cpu_seconds,
    kinds,
    node_pids,
    print_report,
    pss_bytes,
    rejoin_wait,
    rss_bytes,
    run_main,
    say,
    timings,
)
from pyhb.lab.cluster import Cluster, wait_for


def measure(
    clusters: dict[str, Cluster], duration: float, step: float = 10
) -> dict[str, dict[str, float]]:
    nodes = ("a", "b")
    pids = {k: {n: node_pids(c, n) for n in nodes} for k, c in clusters.items()}
    rss: dict[str, list[int]] = {k: [] for k in clusters}
    cpu0 = {k: sum(cpu_seconds(pids[k][n]) for n in nodes) for k in clusters}
    t0 = time.monotonic()
    while True:
        for k in clusters:
            rss[k].append(sum(rss_bytes(pids[k][n]) for n in nodes) // len(nodes))
        elapsed = time.monotonic() - t0
        if elapsed >= duration:
            break
        time.sleep(min(step, duration - elapsed))
    elapsed = time.monotonic() - t0
    out = {}
    for k in clusters:
        cpu = sum(cpu_seconds(pids[k][n]) for n in nodes) - cpu0[k]
        out[k] = {
            "cpu": cpu / elapsed / len(nodes) * 100,
            "rss": rss[k][-1],
            "pss": sum(pss_bytes(pids[k][n]) for n in nodes) / len(nodes),
            "growth": (rss[k][-1] - rss[k][0]) * 60 / elapsed,
            "procs": sum(len(pids[k][n]) for n in nodes) / len(nodes),
        }
        say(f"{k}: RSS samples per node (kB): {[r // 1024 for r in rss[k]]}")
    return out


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=60, help="seconds measured (default 60)")
    p.add_argument("--keepalive", default="200ms")
    p.add_argument("--deadtime", default="1")
    p.add_argument("--warmup", type=float, default=10, help="idle seconds before measuring")
    args = p.parse_args()
    with contextlib.ExitStack() as stack:
        clusters = {
            k: stack.enter_context(
                cluster(k, auto_failback="on", **timings(args.keepalive, args.deadtime))
            )
            for k in kinds(args)
        }
        for c in clusters.values():
            c.start("a")
            c.start("b")
        for c in clusters.values():
            wait_for(lambda c=c: c.has_vip("a"), 60, 0.1)
            rejoin_wait(c, "a", "b")
        time.sleep(args.warmup)
        res = measure(clusters, args.duration)
    hb, py = res.get("heartbeat", {}), res.get("pyhb", {})
    table = Table(f"Idle footprint per node, keepalive {args.keepalive}, {args.duration:g} s")
    table.add("CPU, % of one core", hb.get("cpu"), py.get("cpu"), "%", "<= 0.7 x Heartbeat")
    table.add("RSS, all daemon processes", hb.get("rss"), py.get("rss"), "MB", "<= 64 MB")
    table.add("PSS, all daemon processes", hb.get("pss"), py.get("pss"), "MB")
    table.add("RSS growth per 60 s", hb.get("growth"), py.get("growth"), "kB", "flat")
    table.add("daemon processes", hb.get("procs"), py.get("procs"), "")
    print_report([table], ["bench.footprint", *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    run_main(main)
