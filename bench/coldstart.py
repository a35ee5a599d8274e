"""Cold start: both nodes' daemons started together -> VIP configured and answering.

Each run starts both daemons at once on freshly "rebooted" nodes (no VIP, no daemon)
and times the VIP configured on the preferred node (``ip monitor``) and the client's
first echo reply; both daemons are then killed and the nodes rebooted.

    sudo python -m bench.coldstart [--runs 3] [--keepalive 200ms] [--deadtime 1]
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from bench._common import (
    AddrMonitor,
    Pinger,
    Table,
    base_parser,
    cluster,
    kinds,
    median,
    node_pids,
    print_report,
    run_main,
    say,
    timings,
    until,
)
from pyhb.lab.cluster import Cluster


def _one(c: Cluster) -> tuple[float, float, float]:
    assert c.lab.client is not None
    with Pinger(c.lab.client) as ping, AddrMonitor(c.lab["a"]) as mon:
        time.sleep(0.3)
        t0 = time.time()
        c.start("a")
        c.start("b")
        vip = until(lambda: mon.added_after(t0), 90)
        answer = until(lambda: ping.first_reply_after(vip), 10)
    return t0, vip, answer


def series(kind: str, keepalive: str, deadtime: str, runs: int) -> list[tuple[float, float]]:
    out = []
    with cluster(kind, auto_failback="on", **timings(keepalive, deadtime)) as c:
        for i in range(runs):
            t0, vip, answer = _one(c)
            say(f"{kind} run {i + 1}: VIP {vip - t0:.3f} s answer {answer - t0:.3f} s")
            out.append((vip - t0, answer - t0))
            for name in ("a", "b"):
                for pid in node_pids(c, name):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                c.procs.pop(name).wait(timeout=10)
                c.reboot(name)
            time.sleep(0.5)
    return out


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="cold starts (default 3)")
    p.add_argument("--keepalive", default="200ms")
    p.add_argument("--deadtime", default="1")
    args = p.parse_args()
    res = {k: series(k, args.keepalive, args.deadtime, args.runs) for k in kinds(args)}
    t = timings(args.keepalive, args.deadtime)
    table = Table(
        f"Cold start of both nodes (keepalive {args.keepalive}, deadtime {args.deadtime}, "
        f"initdead {t['initdead']})"
    )
    for idx, what in ((0, "VIP configured"), (1, "VIP answers")):
        hb = [r[idx] for r in res.get("heartbeat", [])]
        py = [r[idx] for r in res.get("pyhb", [])]
        target = "<= 2 s" if idx == 0 else ""
        table.add(f"start -> {what}, median", median(hb), median(py), "s")
        table.add(
            f"start -> {what}, max", max(hb, default=None), max(py, default=None), "s", target
        )
    print_report([table], ["bench.coldstart", *sys.argv[1:]], [f"runs: {args.runs}"])
    return 0


if __name__ == "__main__":
    run_main(main)
