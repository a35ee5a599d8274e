"""What one wake-up of an idle Python process costs on this machine.

An idle heartbeat daemon does little per wake-up, so its CPU is mostly wake-ups times
their cost. This runs, side by side for ``--duration`` seconds at ``--hz`` wake-ups per
second: a bare ``select.epoll`` loop, an asyncio loop whose only work is re-arming one
``call_at`` timer (pyhb's own timer pattern), and the same asyncio loop in a process
that has imported the pyhb daemon (its modules in memory). Each child reports its own
CPU time (``time.process_time``) and wake-ups. No root, no namespaces.

    python -m bench.wakeup [--duration 30] [--hz 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import asyncio, json, select, sys, time
kind, hz, duration = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
if kind == "pyhb":
    import pyhb.daemon.app  # noqa: F401
period = 1 / hz
count = 0
if kind == "epoll":
    ep = select.epoll()
    cpu0, end = time.process_time(), time.monotonic() + duration
    while time.monotonic() < end:
        ep.poll(period)
        count += 1
else:
    async def main():
        global count
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        end = loop.time() + duration
        def tick():
            global count
            count += 1
            if loop.time() >= end:
                done.set_result(None)
            else:
                loop.call_at(loop.time() + period, tick)
        loop.call_at(loop.time() + period, tick)
        await done
    cpu0 = time.process_time()
    asyncio.run(main())
print(json.dumps({"cpu": time.process_time() - cpu0, "wakeups": count}))
"""

KINDS = {
    "epoll": "bare epoll loop",
    "asyncio": "asyncio loop, one call_at timer",
    "pyhb": "the same, pyhb daemon imported",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--hz", type=float, default=10.0)
    args = parser.parse_args()
    procs = {
        k: subprocess.Popen(
            [sys.executable, "-c", CHILD, k, str(args.hz), str(args.duration)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in KINDS
    }
    print(f"\ncommand: python -m bench.wakeup {' '.join(sys.argv[1:])}".rstrip())
    print(f"python: {sys.executable} ({sys.version.split()[0]})\n")
    print("| loop | wake-ups | CPU | per wake-up |")
    print("|---|---|---|---|")
    for kind, proc in procs.items():
        out, _ = proc.communicate()
        r = json.loads(out)
        per = r["cpu"] / max(r["wakeups"], 1) * 1e6
        print(f"| {KINDS[kind]} | {r['wakeups']} | {r['cpu'] * 1000:.1f} ms | {per:.0f} us |")


if __name__ == "__main__":
    main()
