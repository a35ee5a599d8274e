"""CPU of pyhb's engine alone: two engines idling in the in-memory simulator.

Runs the sans-I/O engines of a two-node pair (keepalive 200 ms, deadtime 1 s, sha1,
one group) on simulated time for 600 simulated seconds and divides the process CPU
spent by the simulated time and by the datagrams exchanged. This is the Python work
of building, signing, verifying and handling heartbeats, without sockets, the event
loop or the kernel; set it next to `bench.footprint`'s whole-daemon CPU to see which
part of the idle cost is pyhb's own code. No root, no namespaces.

    python -m bench.enginecost [--seconds 600]
"""

from __future__ import annotations

import argparse
import time

from tests.helpers.sim import ClusterSim, make_config

GROUP = "10.77.0.100/24/hb0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="simulated seconds")
    args = parser.parse_args()
    configs = {
        n: make_config(n, keepalive=200, deadtime=1000, warntime=500, initdead=4000) for n in "ab"
    }
    sim = ClusterSim(configs)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(GROUP) == ["a"])
    sim.run_for(5)
    sent = len(sim.wire)
    cpu0 = time.process_time()
    sim.run_for(args.seconds)
    cpu = time.process_time() - cpu0
    datagrams = len(sim.wire) - sent
    per_node = cpu / 2 / args.seconds
    print("| metric | value |")
    print("|---|---|")
    print(f"| simulated time | {args.seconds:.0f} s |")
    print(f"| datagrams sent (both nodes) | {datagrams} ({datagrams / args.seconds:.1f}/s) |")
    what = "engine CPU per datagram (built, signed, verified, handled; simulator included)"
    print(f"| {what} | {1e6 * cpu / datagrams:.0f} us |")
    print(f"| engine CPU per node, % of one core | {100 * per_node:.3f} % |")


if __name__ == "__main__":
    main()
