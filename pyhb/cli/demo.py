"""``pyhb demo``: two pyhb nodes in network namespaces fail a virtual IP over, with timings.

Builds nodes ``a`` (10.77.0.1) and ``b`` (10.77.0.2) and a client (10.77.0.200) on a
private bridge, each node with its own /etc/ha.d, /var/lib/heartbeat and /run; starts
both daemons; shows the VIP on the primary; kills it (kill -9); shows the VIP answering
from the standby; brings the primary back (auto_failback on) and prints what happened.
Everything it creates lives in namespaces it removes at the end, even on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.netns import Lab
from pyhb.lab.shell import LabError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyhb demo", description=__doc__.splitlines()[0])
    p.add_argument("--medium", choices=("bcast", "ucast", "mcast"), default="bcast")
    p.add_argument("--keepalive", default="200ms", help="ha.cf keepalive (default 200ms)")
    p.add_argument("--deadtime", default="1", help="ha.cf deadtime (default 1 s)")
    return p


def _missing_prerequisite() -> str | None:
    if os.geteuid() != 0:
        return "pyhb demo builds network namespaces and must run as root"
    for tool in ("ip", "unshare", "mount", "ping"):
        if shutil.which(tool) is None:
            return f"pyhb demo needs {tool!r}, which is not installed"
    return None


def _client_reaches(lab: Lab, timeout: float) -> float:
    """Ping the VIP from the client every 10 ms until it answers; seconds it took."""
    assert lab.client is not None
    client = lab.client
    return wait_for(lambda: client.ping(VIP, count=1, wait=0.05).received == 1, timeout, 0.01)


def _say(text: str) -> None:
    print(text, flush=True)


def _log_lines(cluster: Cluster, node: str, *needles: str) -> list[str]:
    return [
        line.split(": ", 2)[-1]
        for line in cluster.ha_log(node).splitlines()
        if any(n in line for n in needles)
    ]


def _start(cluster: Cluster, lab: Lab, timings: list[tuple[str, float]]) -> None:
    t0 = time.monotonic()
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.has_vip("a"), 20)
    timings.append(("both started -> VIP up on a", time.monotonic() - t0))
    _client_reaches(lab, 5)
    timings.append(("  client reaches VIP on a", time.monotonic() - t0))
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 10)
    for me, other in (("a", "b"), ("b", "a")):
        res = cluster.cl_status(me, "nodestatus", other)
        _say(f"[{me}] cl_status nodestatus {other}: {res.stdout.strip()}")
    _say(f"[a] cl_status rscstatus: {cluster.cl_status('a', 'rscstatus').stdout.strip()}")


def _kill_primary(cluster: Cluster, lab: Lab, timings: list[tuple[str, float]]) -> None:
    _say("kill -9 of the heartbeat daemon on a ...")
    t1 = time.monotonic()
    cluster.kill("a")
    wait_for(lambda: cluster.has_vip("b"), 30)
    timings.append(("kill -9 a -> VIP up on b", time.monotonic() - t1))
    _client_reaches(lab, 10)
    timings.append(("  client reaches VIP on b", time.monotonic() - t1))
    neighbours = lab.client.neighbours() if lab.client else {}
    _say(f"client's ARP entry for {VIP}: {neighbours.get(VIP, '?')} (b is {lab['b'].mac()})")
    for line in _log_lines(cluster, "b", "is dead", "Acquiring", "acquisition"):
        _say(f"[b] {line}")


def _failback_and_stop(cluster: Cluster, lab: Lab, timings: list[tuple[str, float]]) -> None:
    _say("a reboots and starts heartbeat again (auto_failback on) ...")
    cluster.reboot("a")
    t2 = time.monotonic()
    cluster.start("a")
    wait_for(lambda: cluster.owners() == ["a"], 30)
    timings.append(("a started -> VIP back on a", time.monotonic() - t2))
    _client_reaches(lab, 10)
    timings.append(("  client reaches VIP on a", time.monotonic() - t2))
    _say(f"owners now: {', '.join(cluster.owners())}")
    _say("graceful stop of a, then b (SIGTERM, as heartbeat -k sends) ...")
    t3 = time.monotonic()
    cluster.stop("a")
    wait_for(lambda: cluster.has_vip("b"), 10)
    timings.append(("stop a -> VIP up on b", time.monotonic() - t3))
    cluster.stop("b")


def run_demo(args: argparse.Namespace) -> int:
    timings: list[tuple[str, float]] = []
    with Lab(("a", "b")) as lab:
        cluster = Cluster(
            lab,
            medium=args.medium,
            keepalive=args.keepalive,
            deadtime=args.deadtime,
            auto_failback="on",
        )
        cluster.configure()
        _say(f"lab: nodes a={lab['a'].address} b={lab['b'].address}, client "
             f"{lab.client.address if lab.client else '-'}, medium {args.medium}, "
             f"keepalive {args.keepalive}, deadtime {args.deadtime}")  # fmt: skip
        _say(f"haresources: a {cluster.resources}")
        try:
            _start(cluster, lab, timings)
            _kill_primary(cluster, lab, timings)
            _failback_and_stop(cluster, lab, timings)
        except (TimeoutError, LabError, subprocess.SubprocessError) as exc:
            _say(f"demo failed: {exc}")
            for name in lab.nodes:
                _say(f"---- {name} log (last lines)")
                _say("\n".join(cluster.ha_log(name).splitlines()[-25:]))
            return 1
        finally:
            for proc in cluster.procs.values():
                proc.kill()
    _say("")
    _say(f"{'what':<34} {'seconds':>8}")
    for what, secs in timings:
        _say(f"{what:<34} {secs:>8.3f}")
    _say("lab removed: namespaces, links and processes are gone")
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    problem = _missing_prerequisite()
    if problem is not None:
        print(f"pyhb demo: {problem}", file=sys.stderr)
        return 1
    try:
        return run_demo(args)
    except KeyboardInterrupt:
        print("pyhb demo: interrupted; lab removed", file=sys.stderr)
        return 130
