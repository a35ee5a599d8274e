"""Resource monitoring: a service's death -> clients served again (restart in place, and
move to the peer), next to Heartbeat 3.0.6, which does not monitor resources at all.

The group is ``VIP websvc`` (``pyhb.lab.monitored``: a python HTTP server with an LSB
script); pyhb.cf says ``monitor websvc interval=I restarts=1``. Each run kills the server
on the owner (kill -9) and polls from the client namespace (a TCP connect + HTTP HEAD on
the VIP, about every 50 ms, each probe a process started in the namespace) until it is
answered again: the first kill is restarted in place, the second within the window moves
the group to the peer; ``pyhb cleanup`` then brings it home for the next run. Under
Heartbeat the first kill is followed for ``--wait`` seconds: nobody restarts the service.

    sudo python -m bench.monitor [--runs 5] [--interval 1s] [--wait 15]
"""

from __future__ import annotations

import sys
import time

from bench._common import (
    Table,
    base_parser,
    cluster,
    fmt,
    kinds,
    median,
    p95,
    print_report,
    rejoin_wait,
    run_main,
    say,
    start_pair,
    timings,
    until,
)
from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.monitored import install, kill_service, served
from pyhb.lab.netns import IFACE

GROUP = f"{VIP}/24/{IFACE}"


def _death_to_served(c: Cluster, owner: str, timeout: float) -> float:
    client = c.lab.client
    assert client is not None
    t0 = time.monotonic()
    kill_service(c, owner)
    until(lambda: not served(client), 5, step=0.001)  # it is down before it comes back
    until(lambda: served(client), timeout, step=0.05)
    return time.monotonic() - t0


def pyhb_series(runs: int, interval: str) -> list[tuple[float, float]]:
    out = []
    with cluster("pyhb", resources=f"{GROUP} websvc", **timings("200ms", "1")) as c:
        install(c, f"monitor websvc interval={interval} restarts=1 window=10m\n")
        client = c.lab.client
        assert client is not None
        start_pair(c)
        wait_for(lambda: served(client), 20, 0.1)
        for i in range(runs):
            restart = _death_to_served(c, "a", 30)
            assert c.owners() == ["a"], c.owners()
            time.sleep(0.5)
            move = _death_to_served(c, "a", 30)
            assert c.owners() == ["b"], c.owners()
            say(f"pyhb run {i + 1}: restart {restart:.3f} s move {move:.3f} s")
            out.append((restart, move))
            c.tool("a", c.python, "-m", "pyhb.cli.tool", "cleanup")
            wait_for(lambda: c.owners() == ["a"] and served(client), 30, 0.1)
            rejoin_wait(c, "a", "b")
    return out


def heartbeat_series(wait: float) -> bool:
    """Whether Heartbeat served the service again within ``wait`` s of its death."""
    with cluster("heartbeat", resources=f"{GROUP} websvc", **timings("200ms", "1")) as c:
        install(c, "")
        client = c.lab.client
        assert client is not None
        start_pair(c)
        wait_for(lambda: served(client), 30, 0.1)
        try:
            took = _death_to_served(c, "a", wait)
        except TimeoutError:
            say(f"heartbeat: not served again within {wait:g} s")
            return False
        say(f"heartbeat: served again after {took:.3f} s")
        return True


def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="restart + move pairs (default 5)")
    p.add_argument("--interval", default="1s", help="the monitor's interval (default 1s)")
    p.add_argument("--wait", type=float, default=15.0, help="seconds Heartbeat is given")
    args = p.parse_args()
    which = kinds(args)
    res = pyhb_series(args.runs, args.interval) if "pyhb" in which else []
    hb_back = heartbeat_series(args.wait) if "heartbeat" in which else None
    table = Table(f"Service death -> served again (monitor interval {args.interval})")
    hb = {None: "-", False: "never", True: "served"}[hb_back]
    for idx, what in ((0, "restart in place"), (1, "move to the peer")):
        xs = [r[idx] for r in res]
        for stat, value in (("median", median(xs)), ("p95", p95(xs))):
            table.rows.append((f"{what}, {stat}", hb, fmt(value, "s"), "-", ""))
    notes = [f"runs: {args.runs}; Heartbeat watched for {args.wait:g} s after the kill"]
    print_report([table], ["bench.monitor", *sys.argv[1:]], notes)
    return 0


if __name__ == "__main__":
    run_main(main)
