"""Takeover overhead: "node X: is dead" logged -> VIP configured and -> first gratuitous ARP.

The same node loss as bench.failover (kill -9 + unplug of the owner); the survivor's
ha-log is tailed every 2 ms to stamp "is dead", ``ip monitor`` stamps the VIP and
tcpdump in the client namespace stamps the survivor's first gratuitous ARP.

    sudo python -m bench.takeover [--runs 5] [--keepalive 200ms] [--deadtime 1]
"""

from __future__ import annotations

import sys

from bench._common import (
    Failover,
    Table,
    alternating_runs,
    base_parser,
    cluster,
    failover_once,
    kinds,
    median,
    p95,
    print_report,
    revive_node,
    run_main,
    say,
    seconds,
    timings,
)


def _since_dead(runs: list[Failover], attr: str) -> list[float]:
    out = []
    for f in runs:
        t = getattr(f, attr)
        if t is not None and f.dead is not None:
            out.append(t - f.dead)
    return out


def series(kind: str, keepalive: str, deadtime: str, runs: int) -> list[Failover]:
    with cluster(kind, auto_failback="off", **timings(keepalive, deadtime)) as c:

        def measure(i: int, owner: str, peer: str) -> Failover:
            f = failover_once(c, owner, peer, seconds(deadtime) + 30)
            if f.dead is None:
                say(f"{kind} run {i + 1}: no 'is dead' line seen")
            else:
                vip = f"{f.vip - f.dead:.3f}" if f.vip else "-"
                garp = f"{f.garp - f.dead:.3f}" if f.garp else "-"
                say(f"{kind} run {i + 1}: dead->VIP {vip} s, dead->GARP {garp} s")
            return f

        return alternating_runs(c, runs, measure, lambda owner, peer: revive_node(c, owner, peer))


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="node losses (default 5)")
    p.add_argument("--keepalive", default="200ms")
    p.add_argument("--deadtime", default="1")
    args = p.parse_args()
    results = {k: series(k, args.keepalive, args.deadtime, args.runs) for k in kinds(args)}
    table = Table(f"Takeover overhead at {args.keepalive}/{args.deadtime} (after 'is dead')")
    for attr, what in (("vip", "VIP configured"), ("garp", "first gratuitous ARP")):
        hb = _since_dead(results.get("heartbeat", []), attr)
        py = _since_dead(results.get("pyhb", []), attr)
        table.add(f"is dead -> {what}, median", median(hb), median(py), "ms")
        table.add(f"is dead -> {what}, p95", p95(hb), p95(py), "ms", "p95 <= 50 ms")
    print_report([table], ["bench.takeover", *sys.argv[1:]], [f"runs: {args.runs}"])
    return 0


if __name__ == "__main__":
    run_main(main)
