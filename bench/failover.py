"""Node loss -> VIP answers again, Heartbeat 3.0.6 next to pyhb.

A client namespace pings the VIP every 10 ms; the active node is lost (kill -9 of every
process of its daemon and its cable unplugged); the survivor configures the VIP, sends
gratuitous ARP and answers. Measured from the kill, at each keepalive/deadtime setting:
the VIP configured on the survivor and the first echo reply. The lost node then reboots
and rejoins, and the next run loses the other node.

    sudo python -m bench.failover [--runs 5] [--settings 1/5,200ms/1,100ms/500ms]
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
    pick,
    print_report,
    revive_node,
    run_main,
    say,
    seconds,
    timings,
)

DEFAULT_SETTINGS = "1/5,200ms/1,100ms/500ms"


def series(kind: str, keepalive: str, deadtime: str, runs: int) -> list[Failover]:
    with cluster(kind, auto_failback="off", **timings(keepalive, deadtime)) as c:

        def measure(i: int, owner: str, peer: str) -> Failover:
            f = failover_once(c, owner, peer, seconds(deadtime) + 30)
            say(f"{kind} {keepalive}/{deadtime} run {i + 1}: VIP {f.vip and f.vip - f.killed:.3f} s"
                f" answer {f.answer and f.answer - f.killed:.3f} s")  # fmt: skip
            return f

        return alternating_runs(c, runs, measure, lambda owner, peer: revive_node(c, owner, peer))


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="node losses per setting (default 5)")
    p.add_argument("--settings", default=DEFAULT_SETTINGS, help="keepalive/deadtime,...")
    args = p.parse_args()
    table = Table("Node loss -> VIP (kill -9 + unplug of the owner; seconds after the kill)")
    for setting in args.settings.split(","):
        keepalive, deadtime = setting.split("/")
        results = {k: series(k, keepalive, deadtime, args.runs) for k in kinds(args)}
        dead = seconds(deadtime)

        label = f"{keepalive}/{deadtime}"
        for attr, what in (("vip", "VIP configured"), ("answer", "VIP answers")):
            hb, py = pick(results, "heartbeat", attr), pick(results, "pyhb", attr)
            target = f"p95 <= {dead + 0.1:g} s" if attr == "vip" else ""
            table.add(f"{label} {what}, median", median(hb), median(py), "ms")
            table.add(f"{label} {what}, p95", p95(hb), p95(py), "ms", target)
    print_report([table], ["bench.failover", *sys.argv[1:]], [f"runs per setting: {args.runs}"])
    return 0


if __name__ == "__main__":
    run_main(main)
