"""Shared pieces of the benchmarks: labs, probes that timestamp events, tables.

Every benchmark runs Heartbeat 3.0.6 and pyhb in the same process, one after the other
or interleaved, on the same lab layout, so machine noise hits both; tables show ratios.
Probes record wall-clock (epoch) timestamps so events seen by different tools compare:

* ``Pinger``: ``ping -D -O -i 0.01`` from the client namespace to the VIP;
* ``AddrMonitor``: ``ip -ts monitor address`` in a node (VIP added / deleted);
* ``ArpSniffer``: ``tcpdump -tt`` for ARP in the client namespace (gratuitous ARP);
* ``LogTail``: a thread that polls a node's ha-log every 2 ms and stamps each new line
  (both daemons' log lines only carry whole seconds).

Everything is created inside a ``Lab`` and removed with it, also on errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pyhb.lab.cluster import PYHB_TOOLS, REAL_TOOLS, VIP, Cluster, wait_for
from pyhb.lab.netns import IFACE, Host, Lab, Node

KINDS = ("heartbeat", "pyhb")
PYHB_PYTHON = sys.executable  # see --python
T = TypeVar("T")
HEARTBEAT_BIN = "/usr/libexec/heartbeat/heartbeat"


# --- statistics and tables -----------------------------------------------------------------


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    if not s:
        return math.nan
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def p95(xs: Sequence[float]) -> float:
    """95th percentile, linear interpolation between closest ranks."""
    s = sorted(xs)
    if not s:
        return math.nan
    k = (len(s) - 1) * 0.95
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "ms":
        return f"{value * 1000:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "MB":
        return f"{value / 1e6:.1f} MB"
    if unit == "kB":
        return f"{value / 1e3:+.0f} kB"
    if unit == "pps":
        return f"{value:.0f}/s"
    return f"{value:g}"


@dataclass
class Table:
    title: str
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, metric: str, hb: float, py: float, unit: str, target: str = "") -> None:
        ratio = "-"
        if hb and py is not None and not math.isnan(hb) and not math.isnan(py):
            ratio = f"{py / hb:.2f}"
        self.rows.append((metric, fmt(hb, unit), fmt(py, unit), ratio, target))

    def render(self) -> str:
        head = ("metric", "Heartbeat", "pyhb", "ratio", "target")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(5)]
        lines = [f"### {self.title}", ""]

        def row(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        lines.append(row(head))
        lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        lines.extend(row(r) for r in self.rows)
        return "\n".join(lines)


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}, {now}"


def interpreter(python: str) -> str:
    """``PATH (Python X.Y.Z)`` of the interpreter pyhb's daemons run under."""
    try:
        out = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = "?"
    return f"{python} (Python {out})"


def print_report(tables: Sequence[Table], argv: Sequence[str], notes: Sequence[str] = ()) -> None:
    print()
    print(f"command: python -m {' '.join(argv)}")
    print(f"machine: {machine()}")
    print(f"pyhb runs under: {interpreter(PYHB_PYTHON)}")
    for t in tables:
        print()
        print(t.render())
    for n in notes:
        print(f"\n{n}")
    sys.stdout.flush()


class _PythonAction(argparse.Action):
    """``--python PATH``: pyhb's daemons and tools run under that interpreter, with this
    checkout first on their PYTHONPATH."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        global PYHB_PYTHON  # noqa: PLW0603
        path = shutil.which(str(values))
        if path is None:
            parser.error(f"--python: {values} not found")
        PYHB_PYTHON = path
        root = str(Path(__file__).resolve().parents[1])
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH")) if p
        )
        setattr(namespace, self.dest, path)


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--only", choices=KINDS, action="append", help="run only this implementation")
    p.add_argument(
        "--python",
        action=_PythonAction,
        default=sys.executable,
        help="interpreter for pyhb's daemons and tools (default: the one running this; "
        "e.g. /usr/bin/python3 with pyhb's dependencies importable)",
    )
    return p


def check_root() -> None:
    if os.geteuid() != 0:
        sys.exit("the benchmarks build network namespaces: run them as root")
    if not Path(HEARTBEAT_BIN).exists():
        sys.exit(f"{HEARTBEAT_BIN} not found: install Debian's heartbeat package")
    for tool in ("ip", "unshare", "ping", "tcpdump"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- labs -----------------------------------------------------------------------------


@contextlib.contextmanager
def cluster(
    kind: str,
    nodes: Sequence[str] = ("a", "b"),
    *,
    client: bool = True,
    **kwargs: Any,
) -> Iterator[Cluster]:
    """A configured cluster of ``kind`` (every node Heartbeat, or every node pyhb)."""
    with Lab(tuple(nodes), client=client) as lab:
        kwargs.setdefault("resources", f"{VIP}/24/{IFACE}")
        c = Cluster(lab, python=PYHB_PYTHON, **kwargs)
        if kind == "heartbeat":
            c.real = set(nodes)
        c.configure()
        try:
            yield c
        finally:
            for proc in list(c.procs.values()):
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
            for proc in list(c.procs.values()):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)


def seconds(value: str) -> float:
    """An ha.cf time (``200ms``, ``1``, ``1s``) in seconds."""
    if value.endswith("ms"):
        return float(value[:-2]) / 1000
    return float(value.rstrip("s"))


def wait_status(c: Cluster, node: str, peer: str, want: str, timeout: float) -> None:
    wait_for(lambda: c.cl_status(node, "nodestatus", peer).stdout.strip() == want, timeout, 0.1)


def wait_settled(c: Cluster, node: str, timeout: float = 30) -> None:
    """Until ``node``'s resources are no longer in transition."""
    wait_for(
        lambda: c.cl_status(node, "rscstatus").stdout.strip() not in ("", "transition"),
        timeout,
        0.1,
    )


def namespace_pids(host: Host) -> list[int]:
    out = subprocess.run(
        ["ip", "netns", "pids", host.ns], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split() if p.isdigit()]


# --- probes ----------------------------------------------------------------------------


class _Proc:
    """A probe process whose stdout is collected by a thread until ``stop()``."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> list[str]:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._thread.join(timeout=5)
        return self.lines

    def __enter__(self) -> _Proc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_PING = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from")


class Pinger(_Proc):
    """ICMP echo to the VIP every 10 ms from the client; ``replies()`` are epoch times."""

    def __init__(self, client: Host, address: str = VIP) -> None:
        super().__init__(client.netns_argv(["ping", "-n", "-D", "-O", "-i", "0.01", address]))

    def replies(self) -> list[float]:
        out = []
        for line in list(self.lines):
            m = _PING.match(line)
            if m:
                out.append(float(m.group(1)))
        return out

    def first_reply_after(self, t: float) -> float | None:
        return next((r for r in self.replies() if r > t), None)


_ADDR = re.compile(r"^\[([\d\-T:.]+)\] (Deleted )?\d+: \S+\s+inet (\S+)/")


class AddrMonitor(_Proc):
    """``ip -ts monitor address`` inside a node: when the VIP was added and deleted."""

    def __init__(self, node: Host) -> None:
        super().__init__(node.netns_argv(["ip", "-ts", "monitor", "address"]))

    def events(self, address: str = VIP) -> list[tuple[float, str]]:
        out = []
        for line in list(self.lines):
            m = _ADDR.match(line)
            if m and m.group(3) == address:
                stamp = dt.datetime.fromisoformat(m.group(1)).timestamp()  # local time
                out.append((stamp, "del" if m.group(2) else "add"))
        return out

    def added_after(self, t: float, address: str = VIP) -> float | None:
        return next((s for s, what in self.events(address) if what == "add" and s > t), None)


_ARP = re.compile(r"^(\d+\.\d+) (\S+) > (\S+),.*Request who-has (\S+)(?: \([^)]*\))? tell (\S+),")
_ARP_REPLY = re.compile(r"^(\d+\.\d+) (\S+) > ff:ff:ff:ff:ff:ff,.*Reply (\S+) is-at")


class ArpSniffer(_Proc):
    """tcpdump for ARP in a namespace; ``garps()`` are (epoch, sender MAC) for the VIP."""

    def __init__(self, host: Host) -> None:
        super().__init__(
            host.netns_argv(["tcpdump", "-l", "-n", "-e", "-tt", "-i", host.iface, "arp"])
        )
        time.sleep(0.3)  # tcpdump needs a moment to open the interface

    def garps(self, address: str = VIP) -> list[tuple[float, str]]:
        out = []
        for line in list(self.lines):
            m = _ARP.match(line)
            if m and m.group(4) == address and m.group(5) == address:
                out.append((float(m.group(1)), m.group(2)))
                continue
            m = _ARP_REPLY.match(line)
            if m and m.group(3) == address:
                out.append((float(m.group(1)), m.group(2)))
        return out


class LogTail:
    """Stamps each new line of a node's ha-log with the time it appeared (2 ms polling)."""

    def __init__(self, node: Node, name: str = "ha-log") -> None:
        self.path = node.var_lib_dir / name
        self.lines: list[tuple[float, str]] = []
        self._offset = self.path.stat().st_size if self.path.exists() else 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        buf = b""
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                size = self.path.stat().st_size
                if size > self._offset:
                    with self.path.open("rb") as f:
                        f.seek(self._offset)
                        chunk = f.read(size - self._offset)
                    now = time.time()
                    self._offset += len(chunk)
                    buf += chunk
                    *done, buf = buf.split(b"\n")
                    for line in done:
                        self.lines.append((now, line.decode(errors="replace")))
            time.sleep(0.002)

    def first(self, needle: str, after: float = 0.0) -> float | None:
        return next((t for t, line in list(self.lines) if needle in line and t > after), None)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def __enter__(self) -> LogTail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def until(predicate: Callable[[], Any], timeout: float, step: float = 0.01) -> Any:
    """Poll until ``predicate()`` returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(step)


# --- process accounting -------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime+stime (and that of reaped children) of these processes, in seconds."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / _TICK


def rss_bytes(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def anon_bytes(pids: Sequence[int]) -> int:
    """RssAnon summed: the private heap, where anything retained per message would show."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    total += int(line.split()[1]) * 1024
    return total


def pss_bytes(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
    return total


def link_counters(host: Host) -> tuple[int, int]:
    """(rx_packets, tx_packets) of the host's hb0."""
    out = subprocess.run(
        ["ip", "netns", "exec", host.ns, "cat",
         f"/sys/class/net/{host.iface}/statistics/rx_packets",
         f"/sys/class/net/{host.iface}/statistics/tx_packets"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return int(out[0]), int(out[1])


def kinds(args: argparse.Namespace) -> list[str]:
    return list(args.only) if args.only else list(KINDS)


def run_main(main: Callable[[], int]) -> None:
    """Run a benchmark's main; Ctrl-C still tears every lab down (context managers)."""
    check_root()
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted; labs removed")
        sys.exit(130)


# --- two-node helpers ------------------------------------------------------------------


def timings(keepalive: str, deadtime: str) -> dict[str, str]:
    """Cluster keyword arguments for a keepalive/deadtime pair (warntime half deadtime)."""
    dead = seconds(deadtime)
    return {
        "keepalive": keepalive,
        "deadtime": deadtime,
        "warntime": f"{dead / 2 * 1000:.0f}ms",
        "initdead": f"{max(4.0, 2 * dead):g}",
    }


def start_pair(c: Cluster, owner: str = "a", peer: str = "b") -> None:
    """Start both nodes; return when ``owner`` holds the VIP and both see each other."""
    c.start(owner)
    c.start(peer)
    wait_for(lambda: c.has_vip(owner), 60, 0.05)
    rejoin_wait(c, owner, peer)


def alternating_runs(
    c: Cluster,
    runs: int,
    measure: Callable[[int, str, str], T],
    restore: Callable[[str, str], None],
) -> list[T]:
    """Start the pair, then ``runs`` times ``measure(i, owner, peer)``; between two runs
    ``restore(owner, peer)`` brings the pair back and the two nodes swap roles."""
    start_pair(c)
    owner, peer = "a", "b"
    out = []
    for i in range(runs):
        out.append(measure(i, owner, peer))
        if i + 1 < runs:
            restore(owner, peer)
            owner, peer = peer, owner
    return out


def rejoin_wait(c: Cluster, x: str, y: str) -> None:
    """Until x and y see each other active and neither is in transition."""
    wait_status(c, x, y, "active", 60)
    wait_status(c, y, x, "active", 60)
    wait_settled(c, x)
    wait_settled(c, y)
    time.sleep(1.0)


def node_pids(c: Cluster, name: str) -> list[int]:
    return namespace_pids(c.lab[name])


def lose_node(c: Cluster, name: str, pids: Sequence[int]) -> float:
    """kill -9 every process of the node's daemon and unplug it; returns the kill time."""
    t0 = time.time()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    c.lab[name].link_down()
    proc = c.procs.pop(name)
    proc.wait(timeout=10)
    return t0


def revive_node(c: Cluster, name: str, peer: str) -> None:
    """A lost node reboots (no VIP), is plugged back in and its daemon rejoins."""
    for pid in node_pids(c, name):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    c.reboot(name)
    c.lab[name].link_up()
    c.start(name)
    rejoin_wait(c, name, peer)


@dataclass
class Failover:
    """Epoch times of one node loss as seen by the probes."""

    killed: float
    dead: float | None  # "node X: is dead" logged on the survivor
    vip: float | None  # VIP configured on the survivor
    garp: float | None  # first gratuitous ARP for the VIP from the survivor
    answer: float | None  # first echo reply after the VIP moved


def failover_once(c: Cluster, owner: str, peer: str, timeout: float) -> Failover:
    """Lose ``owner`` (kill -9 + unplug) and time the survivor taking the VIP over."""
    lab = c.lab
    assert lab.client is not None
    peer_mac = lab[peer].mac()
    pids = node_pids(c, owner)
    with (
        Pinger(lab.client) as ping,
        AddrMonitor(lab[peer]) as mon,
        ArpSniffer(lab.client) as arp,
        LogTail(lab[peer]) as log,
    ):
        until(ping.replies, 5)
        t0 = lose_node(c, owner, pids)
        vip = until(lambda: mon.added_after(t0), timeout)
        answer = until(lambda: ping.first_reply_after(vip), 10)
        time.sleep(0.3)
        dead = log.first("is dead", t0 - 0.01)
        garp = next((t for t, mac in arp.garps() if mac == peer_mac and t > t0), None)
    return Failover(t0, dead, vip, garp, answer)


def pick(results: dict[str, list[Failover]], kind: str, attr: str) -> list[float]:
    """Seconds from the kill to ``attr`` over the runs of ``kind`` that saw it."""
    out = []
    for f in results.get(kind, []):
        t = getattr(f, attr)
        if t is not None:
            out.append(t - f.killed)
    return out


def tool_argv(c: Cluster, name: str, argv: Sequence[str]) -> list[str]:
    """The command ``Cluster.tool`` would run on ``name`` (Heartbeat's or pyhb's tool)."""
    cmd = list(argv)
    if name in c.real and cmd[0] in REAL_TOOLS:
        cmd[0] = REAL_TOOLS[cmd[0]]
    elif cmd[0] in PYHB_TOOLS:
        cmd = [c.python, "-m", f"pyhb.cli.{cmd[0]}", *cmd[1:]]
    return c.lab[name].wrap(cmd)


def launch_tool(c: Cluster, name: str, argv: Sequence[str]) -> subprocess.Popen[str]:
    """Start a tool in the node without waiting for it."""
    return subprocess.Popen(
        tool_argv(c, name, argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
