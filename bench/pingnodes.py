"""Ping node lost / back and respawn restart, Heartbeat 3.0.6 next to pyhb.

The ping node is the client namespace. Node ``a`` drops ICMP with an iptables rule; measured
from the rule: ``cl_status nodestatus PING`` says ``dead`` (expected: about ``deadping``).
Then the rule goes; measured: ``ping`` again (expected: within one keepalive). A respawn
client (``sleep``) is killed; measured: a new client process runs (3.0.6 waits 1 s).
``cl_status`` is polled every 20 ms, so times carry that much slack plus the time a
``cl_status`` run takes.

    sudo python -m bench.pingnodes [--runs 3] [--keepalive 500ms] [--deadping 3]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench._common import (
    Table,
    base_parser,
    cluster,
    kinds,
    median,
    namespace_pids,
    print_report,
    run_main,
    say,
    seconds,
    start_pair,
    timings,
    until,
)
from pyhb.lab.cluster import Cluster
from pyhb.lab.netns import CLIENT_ADDRESS

CLIENT = "/bin/sleep 100000"


def _status(c: Cluster) -> str:
    return c.cl_status("a", "nodestatus", CLIENT_ADDRESS).stdout.strip()


def _client_pid(c: Cluster) -> int | None:
    """The respawn client of node ``a`` (``b``'s runs too, in the same pid namespace)."""
    for pid in namespace_pids(c.lab["a"]):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").strip()
        except OSError:
            continue
        if cmdline == CLIENT.encode():
            return pid
    return None


def series(kind: str, keepalive: str, deadping: str, runs: int) -> list[tuple[float, ...]]:
    extra = [f"ping {CLIENT_ADDRESS}", f"deadping {deadping}", f"respawn hacluster {CLIENT}"]
    out = []
    with cluster(kind, extra=extra, **timings(keepalive, "2")) as c:
        start_pair(c)
        until(lambda: _status(c) == "ping", 30, 0.05)
        for i in range(runs):
            began = time.monotonic()
            c.lab["a"].iptables("-A", "INPUT", "-p", "icmp", "-j", "DROP")
            until(lambda: _status(c) == "dead", seconds(deadping) + 30, 0.02)
            dead = time.monotonic() - began
            began = time.monotonic()
            c.lab["a"].clear_rules()
            until(lambda: _status(c) == "ping", 30, 0.02)
            back = time.monotonic() - began
            old = until(lambda: _client_pid(c), 30, 0.05)
            began = time.monotonic()
            os.kill(old, signal.SIGKILL)
            until(lambda o=old: (_client_pid(c) or o) != o, 30, 0.02)
            respawn = time.monotonic() - began
            say(f"{kind} run {i + 1}: dead {dead:.2f} s, back {back:.2f} s, "
                f"respawned {respawn:.2f} s")  # fmt: skip
            out.append((dead, back, respawn))
            time.sleep(1)
    return out


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="losses per implementation (default 3)")
    p.add_argument("--keepalive", default="500ms")
    p.add_argument("--deadping", default="3")
    args = p.parse_args()
    try:
        res = {k: series(k, args.keepalive, args.deadping, args.runs) for k in kinds(args)}
    except (subprocess.SubprocessError, TimeoutError) as exc:
        say(f"benchmark failed: {exc}")
        return 1
    table = Table(
        f"Ping node and respawn client (keepalive {args.keepalive}, deadping {args.deadping})"
    )
    names = ("ICMP dropped -> ping node dead", "ICMP back -> ping node ping",
             "client killed -> respawned")  # fmt: skip
    targets = (f"~ {seconds(args.deadping):g} s", f"~ {seconds(args.keepalive):g} s", "~ 1 s")
    for idx, name in enumerate(names):
        hb = [r[idx] for r in res.get("heartbeat", [])]
        py = [r[idx] for r in res.get("pyhb", [])]
        table.add(f"{name}, median", median(hb), median(py), "s", targets[idx])
    print_report([table], ["bench.pingnodes", *sys.argv[1:]], [f"runs: {args.runs}"])
    return 0


if __name__ == "__main__":
    run_main(main)
