"""A small scenario harness for fault tests on real daemons.

- ``OwnersMonitor`` samples every node about every 20 ms and records which nodes hold the
  group (VIP configured or a test-service state file present) and the most simultaneous
  owners seen.
- ``Pinger`` pings the VIP from the client namespace every 20 ms (``ping -D``) and measures
  the longest stretch without a reply: the client-visible outage.
- ``record`` writes one scenario's measurement as JSON to ``$PYHB_RESULTS_DIR`` (nothing
  when unset), for ``python -m bench.soak --report`` to render docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pyhb.lab.cluster import VIP, Cluster
from pyhb.lab.netns import IFACE, Node

RESULTS_ENV = "PYHB_RESULTS_DIR"


def _holds(node: Node) -> bool:
    if any(node.var_lib_dir.glob("*.state")):  # tsvc and the tests' other services
        return True
    out = subprocess.run(
        ["ip", "-n", node.ns, "-4", "-o", "addr", "show", "dev", IFACE],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    ).stdout
    return f" {VIP}/" in out


def holders(cluster: Cluster) -> frozenset[str]:
    """Nodes that hold the group now: the VIP configured or a test service running.

    Nodes are looked at one after the other, a few milliseconds apart, so a hand-over
    completed between two looks would read as two holders. A node seen holding before
    the last holder was seen counts only if it still holds when looked at again: then it
    held the group at the moment the last one was seen.
    """
    nodes = cluster.lab.nodes
    held = [name for name, node in nodes.items() if _holds(node)]
    if len(held) > 1:
        held = [n for n in held[:-1] if _holds(nodes[n])] + held[-1:]
    return frozenset(held)


class OwnersMonitor:
    """Samples ``holders`` in a background thread; ``samples`` is [(monotonic, holders)]."""

    def __init__(self, cluster: Cluster, interval: float = 0.02) -> None:
        self.cluster = cluster
        self.interval = interval
        self.samples: list[tuple[float, frozenset[str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="owners-monitor", daemon=True)

    def __enter__(self) -> OwnersMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), holders(self.cluster)))
            self._stop.wait(self.interval)

    def max_owners(self, since: float = 0.0, until: float = float("inf")) -> int:
        return max((len(h) for t, h in self.samples if since <= t <= until), default=0)

    def owners_seen(self, since: float = 0.0) -> list[str]:
        """The distinct holder sets seen since ``since``, in order of first appearance."""
        seen: list[str] = []
        for t, h in self.samples:
            text = "+".join(sorted(h)) or "none"
            if t >= since and (not seen or seen[-1] != text):
                seen.append(text)
        return seen

    def first_time(self, predicate: Any, since: float) -> float | None:
        """The first sample time at or after ``since`` whose holders satisfy ``predicate``."""
        for t, h in list(self.samples):
            if t >= since and predicate(h):
                return t
        return None

    def wait(self, predicate: Any, since: float, timeout: float) -> float:
        """Wait until a sample after ``since`` satisfies ``predicate``; its time."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            t = self.first_time(predicate, since)
            if t is not None:
                return t
            time.sleep(self.interval)
        raise TimeoutError(f"holders never satisfied the condition; seen {self.owners_seen()}")


class Pinger:
    """``ping -D -i 0.02`` of the VIP from the client namespace, parsed when stopped."""

    def __init__(self, cluster: Cluster, interval: float = 0.02) -> None:
        client = cluster.lab.client
        assert client is not None
        argv = client.netns_argv(["ping", "-n", "-D", "-i", f"{interval:g}", "-W", "1", VIP])
        self.interval = interval
        self.started = time.monotonic()
        self._wall0 = time.time()
        # Output goes to a file: a pipe nobody reads fills up and stops ping.
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.DEVNULL)
        self.replies: list[float] = []  # monotonic times of replies
        self.stopped: float | None = None

    def __enter__(self) -> Pinger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.stopped is not None:
            return
        self.stopped = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.seek(0)
        out = self._out.read()
        self._out.close()
        offset = self.started - self._wall0
        for line in out.decode(errors="replace").splitlines():
            m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from", line)
            if m:
                self.replies.append(float(m.group(1)) + offset)

    def outage(self, since: float, until: float | None = None) -> float:
        """The longest time without a reply within [since, until], in seconds."""
        end = until if until is not None else (self.stopped or time.monotonic())
        points = [since, *[t for t in self.replies if since <= t <= end], end]
        return max(b - a for a, b in zip(points, points[1:], strict=False))

    def replied_after(self, since: float) -> bool:
        return any(t >= since for t in self.replies)


@dataclass
class Measurement:
    scenario: str
    must_hold: str
    outage_ms: float | None = None
    max_owners: int | None = None
    owners_seen: list[str] = field(default_factory=list)
    false_failovers: int | None = None
    converged_ms: float | None = None
    duration_s: float | None = None
    settings: str = "keepalive 200 ms, deadtime 1 s"
    notes: str = ""
    command: str = ""


def record(m: Measurement) -> None:
    """Write the measurement to $PYHB_RESULTS_DIR/<scenario>.json (if that is set)."""
    target = os.environ.get(RESULTS_ENV)
    if not target:
        return
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", m.scenario.lower()).strip("-")
    data = asdict(m)
    data["recorded"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    (path / f"{slug}.json").write_text(json.dumps(data, indent=1) + "\n")


def tsvc_actions(cluster: Cluster, node: str) -> list[str]:
    """``tsvc`` calls on ``node`` as ``"name action"``, in order."""
    return [" ".join(line.split()[2:]) for line in cluster.service_log(node)]


def false_failovers(cluster: Cluster) -> int:
    """Peers declared dead, over every node's log."""
    return sum(cluster.ha_log(n).count(": is dead") for n in cluster.lab.nodes)
