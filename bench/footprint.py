"""Idle footprint: RSS summed over every process of the daemon, CPU over 120 s.

A Heartbeat pair and a pyhb pair run at the same time (two labs) at keepalive 200 ms,
idle after start-up (the VIP up on node a). Every process in a node's namespace belongs
to its daemon; their RSS (and PSS) is summed and sampled every 10 s, and their CPU time
(user + system, with reaped children) counted over the window.

    sudo python -m bench.footprint [--duration 120] [--keepalive 200ms] [--deadtime 1]
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable

from bench._common import (
    Table,
    anon_bytes,
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

    def per_node(k: str, fn: Callable[[list[int]], float]) -> float:
        return sum(fn(pids[k][n]) for n in nodes) / len(nodes)

    samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in clusters}
    cpu0 = {k: per_node(k, cpu_seconds) for k in clusters}
    t0 = time.monotonic()
    while True:
        elapsed = time.monotonic() - t0
        for k in clusters:
            samples[k].append((elapsed, per_node(k, rss_bytes), per_node(k, anon_bytes)))
        if elapsed >= duration:
            break
        time.sleep(min(step, duration - elapsed))
    elapsed = time.monotonic() - t0
    out = {}
    for k in clusters:
        s = samples[k]

        def growth(
            col: int, first: int, last: int, s: list[tuple[float, float, float]] = s
        ) -> float:
            return (s[last][col] - s[first][col]) * 60 / max(s[last][0] - s[first][0], 1e-9)

        # the sample closest to 60 s before the end starts the "last minute" window
        late = min(range(len(s)), key=lambda i: abs(s[i][0] - (s[-1][0] - 60)))
        out[k] = {
            "cpu": (per_node(k, cpu_seconds) - cpu0[k]) / elapsed * 100,
            "rss": s[-1][1],
            "pss": per_node(k, pss_bytes),
            "growth": growth(1, 0, -1),
            "anon_growth": growth(2, 0, -1),
            "late_growth": growth(1, late, -1),
            "late_anon_growth": growth(2, late, -1),
            "procs": sum(len(pids[k][n]) for n in nodes) / len(nodes),
        }
        say(f"{k}: RSS per node every {step:g} s (kB): {[int(r[1]) // 1024 for r in s]}")
        say(f"{k}: RssAnon per node (kB): {[int(r[2]) // 1024 for r in s]}")
    return out


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=120, help="seconds measured (default 120)")
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
    table.add("RSS growth per 60 s, whole window", hb.get("growth"), py.get("growth"), "kB")
    table.add(
        "RSS growth per 60 s, last 60 s", hb.get("late_growth"), py.get("late_growth"), "kB", "flat"
    )
    table.add(
        "RssAnon growth per 60 s, whole window", hb.get("anon_growth"), py.get("anon_growth"), "kB"
    )
    table.add(
        "RssAnon growth per 60 s, last 60 s",
        hb.get("late_anon_growth"),
        py.get("late_anon_growth"),
        "kB",
        "flat",
    )
    table.add("daemon processes", hb.get("procs"), py.get("procs"), "")
    print_report([table], ["bench.footprint", *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    run_main(main)
