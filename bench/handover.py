"""Hand-over: hb_standby on the owner, and ``heartbeat -k`` on the owner -> VIP on the peer.

Both measured from launching the tool on the owner to the VIP configured on the peer
(``ip monitor``) and to the client's first echo reply after that. ``hb_standby`` runs
with auto_failback on and alternates between the nodes; ``heartbeat -k`` runs with
auto_failback off, and the stopped node is started again and rejoins before the next run.
The same stop is also timed from a SIGTERM sent straight to the daemon (what ``-k``
sends), which leaves out the start-up of the ``heartbeat`` command itself.

    sudo python -m bench.handover [--runs 5] [--keepalives 1,200ms]
"""

from __future__ import annotations

import signal
import sys
import time

from bench._common import (
    AddrMonitor,
    Pinger,
    Table,
    alternating_runs,
    base_parser,
    cluster,
    kinds,
    launch_tool,
    median,
    p95,
    print_report,
    rejoin_wait,
    run_main,
    say,
    seconds,
    timings,
    until,
)
from pyhb.lab.cluster import Cluster


def _one(
    c: Cluster, owner: str, peer: str, argv: list[str] | None, *, stops: bool = False
) -> tuple[float, float]:
    """Time one hand-over; ``argv`` None sends SIGTERM to the owner's daemon directly."""
    lab = c.lab
    assert lab.client is not None
    with Pinger(lab.client) as ping, AddrMonitor(lab[peer]) as mon:
        until(ping.replies, 5)
        time.sleep(0.2)
        t0 = time.time()
        if argv is None:
            c.procs[owner].send_signal(signal.SIGTERM)
            tool = None
        else:
            tool = launch_tool(c, owner, argv)
        vip = until(lambda: mon.added_after(t0), 30)
        answer = until(lambda: ping.first_reply_after(vip), 10)
        if stops:  # reap the daemon: a zombie would keep "heartbeat -k" waiting
            c.procs.pop(owner).wait(timeout=60)
        if tool is not None:
            out, _ = tool.communicate(timeout=60)
            if tool.returncode != 0:
                say(f"{' '.join(argv or [])} on {owner}: rc {tool.returncode} {out}")
    return vip - t0, answer - t0


def standby_series(
    kind: str, keepalive: str, deadtime: str, runs: int
) -> list[tuple[float, float]]:
    with cluster(kind, auto_failback="on", **timings(keepalive, deadtime)) as c:

        def measure(i: int, owner: str, peer: str) -> tuple[float, float]:
            r = _one(c, owner, peer, ["hb_standby"])
            say(f"{kind} hb_standby {keepalive} run {i + 1}: VIP {r[0]:.3f} s answer {r[1]:.3f} s")
            rejoin_wait(c, owner, peer)
            return r

        return alternating_runs(c, runs, measure, lambda owner, peer: None)


def stop_series(
    kind: str, keepalive: str, deadtime: str, runs: int, argv: list[str] | None
) -> list[tuple[float, float]]:
    what = " ".join(argv) if argv else "SIGTERM"
    with cluster(kind, auto_failback="off", **timings(keepalive, deadtime)) as c:

        def measure(i: int, owner: str, peer: str) -> tuple[float, float]:
            r = _one(c, owner, peer, argv, stops=True)
            say(f"{kind} {what} {keepalive} run {i + 1}: VIP {r[0]:.3f} s answer {r[1]:.3f} s")
            return r

        def restore(owner: str, peer: str) -> None:
            c.reboot(owner)
            c.start(owner)
            rejoin_wait(c, owner, peer)

        return alternating_runs(c, runs, measure, restore)


def startup_series(kind: str, runs: int) -> list[float]:
    """Seconds to run ``heartbeat -V`` in a node: the floor under every tool's latency."""
    out = []
    with cluster(kind, client=False) as c:
        for _ in range(runs):
            t0 = time.monotonic()
            tool = launch_tool(c, "a", ["heartbeat", "-V"])
            tool.communicate(timeout=60)
            out.append(time.monotonic() - t0)
    return out


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="hand-overs of each kind (default 5)")
    p.add_argument("--keepalives", default="1,200ms", help="keepalives for hb_standby")
    p.add_argument("--stop-keepalive", default="200ms", help="keepalive for heartbeat -k")
    args = p.parse_args()
    table = Table("Hand-over (seconds after the command on the owner)")
    for keepalive in args.keepalives.split(","):
        deadtime = "5" if seconds(keepalive) >= 1 else "1"
        res = {k: standby_series(k, keepalive, deadtime, args.runs) for k in kinds(args)}
        for idx, what in ((0, "VIP configured"), (1, "VIP answers")):
            hb = [r[idx] for r in res.get("heartbeat", [])]
            py = [r[idx] for r in res.get("pyhb", [])]
            target = "<= 150 ms" if idx == 0 else ""
            table.add(f"hb_standby @{keepalive}: {what}, median", median(hb), median(py), "ms")
            table.add(f"hb_standby @{keepalive}: {what}, p95", p95(hb), p95(py), "ms", target)
    keepalive = args.stop_keepalive
    for label, argv in (("heartbeat -k", ["heartbeat", "-k"]), ("SIGTERM to the daemon", None)):
        res = {k: stop_series(k, keepalive, "1", args.runs, argv) for k in kinds(args)}
        for idx, what in ((0, "VIP configured"), (1, "VIP answers")):
            hb = [r[idx] for r in res.get("heartbeat", [])]
            py = [r[idx] for r in res.get("pyhb", [])]
            target = "<= 150 ms" if idx == 0 and argv else ""
            row = f"{label} @{keepalive}: {what}"
            table.add(f"{row}, median", median(hb), median(py), "ms")
            table.add(f"{row}, p95", p95(hb), p95(py), "ms", target)
    res_v = {k: startup_series(k, args.runs) for k in kinds(args)}
    hb_v, py_v = res_v.get("heartbeat", []), res_v.get("pyhb", [])
    table.add("tool start-up: heartbeat -V, median", median(hb_v), median(py_v), "ms")
    print_report([table], ["bench.handover", *sys.argv[1:]], [f"runs of each: {args.runs}"])
    return 0


if __name__ == "__main__":
    run_main(main)
