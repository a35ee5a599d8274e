"""A lab of heartbeat nodes in network namespaces on one private bridge (root only).

Owns: creating and tearing down the namespaces, the bridge, the veth links, per-node
private directories, processes started in nodes, and the iptables rules used to lose
packets. Imports stdlib, ``pyhb.errors``, ``pyhb.lab.capture`` and the daemon's
stdlib-only ``daemon.pidfile`` (``process_exists``) only; never the daemon itself.

Layout (``N`` = a per-run prefix ``pyhb-<pid>-<n>-`` so parallel runs never clash)::

    N-sw       "switch" namespace holding bridge br0; one veth port per node
    N-<node>   node i: interface hb0 = 10.77.0.(i+1)/24 brd 10.77.0.255
    N-client   interface hb0 = 10.77.0.200/24

Every address and link lives only inside these namespaces; nothing is created in the
host's network namespace. Processes started with ``Node.spawn``/``Node.run`` also get a
private mount and UTS namespace: per-node directories are bind-mounted over
``/etc/ha.d``, ``/var/lib/heartbeat`` and ``/run`` (so ``/run/heartbeat`` and
``/run/heartbeat.pid`` are private too) and the hostname is the node name. Those mounts
vanish with the node's processes, so the host's mount table never changes.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from pyhb.daemon.pidfile import process_exists
from pyhb.lab.capture import Capture
from pyhb.lab.shell import (
    LabError,
    PingResult,
    copy_skeleton,
    iptables_binary,
    kill_namespaces,
    sh,
)

SUBNET = "10.77.0"
CLIENT_ADDRESS = f"{SUBNET}.200"
BROADCAST = f"{SUBNET}.255"
IFACE = "hb0"
HB_PORT = 694
NAME_PREFIX = "pyhb-"
_NAME_RE = re.compile(r"^pyhb-(\d+)-(\d+)-")
_TMP_PREFIX = "pyhb-lab-"
_TMP_RE = re.compile(r"^pyhb-lab-(\d+)-")
_counter = itertools.count()

# The node's private view: (host path, directory under the node root).
PRIVATE_DIRS: tuple[tuple[str, str], ...] = (
    ("/etc/ha.d", "etc-ha.d"),
    ("/var/lib/heartbeat", "var-lib-heartbeat"),
    ("/run", "run"),
)
# Skeletons copied from the host into a node's private /run (dirs only, same owner/mode).
_RUN_SKELETON = ("heartbeat", "resource-agents", "lock", "crm")

# Arguments: the node name, N, then N (private dir, mount point) pairs, then the command.
_WRAPPER = (
    "set -e; "
    "name=$1; n=$2; shift 2; "
    'while [ "$n" -gt 0 ]; do mount --bind "$1" "$2"; shift 2; n=$((n - 1)); done; '
    'hostname "$name"; '
    'exec "$@"'
)


class Host:
    """A namespace attached to the lab bridge through a veth pair (node or client)."""

    def __init__(self, lab: Lab, name: str, address: str, index: int) -> None:
        self.lab = lab
        self.name = name
        self.address = address
        self.ns = f"{lab.prefix}{name}"
        self.bridge_port = f"port{index}"  # the veth end inside the switch namespace
        self.iface = IFACE

    def netns_argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run in this namespace's network stack only (no private mounts)."""
        return ["ip", "netns", "exec", self.ns, *argv]

    def sh(self, argv: Sequence[str], *, check: bool = True, timeout: float = 20) -> str:
        """Run a command in this network namespace; return its stdout."""
        return sh(self.netns_argv(argv), check=check, timeout=timeout)

    # --- links and packet loss -------------------------------------------------------

    def link_down(self) -> None:
        """Take the bridge side of this host's cable down (carrier lost on hb0)."""
        sh(["ip", "-n", self.lab.switch_ns, "link", "set", self.bridge_port, "down"])

    def link_up(self) -> None:
        sh(["ip", "-n", self.lab.switch_ns, "link", "set", self.bridge_port, "up"])

    def iptables(self, *args: str) -> None:
        self.sh([iptables_binary(), "-w", *args])

    def set_loss(
        self,
        probability: float,
        *,
        direction: str = "in",
        protocol: str = "udp",
        port: int | None = HB_PORT,
    ) -> None:
        """Drop this share of packets at random (``direction`` in/out/both; udp port)."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability} is not within 0..1")
        chains = {"in": ["INPUT"], "out": ["OUTPUT"], "both": ["INPUT", "OUTPUT"]}[direction]
        match = ["-p", protocol]
        if port is not None and protocol in ("udp", "tcp"):
            match += ["--dport", str(port)]
        for chain in chains:
            self.iptables(
                "-A", chain, *match, "-m", "statistic", "--mode", "random",
                "--probability", f"{probability:.6f}", "-j", "DROP",
            )  # fmt: skip

    def block_from(self, other: Host, *, port: int = HB_PORT) -> None:
        """Drop every heartbeat packet (UDP ``port``) arriving from ``other``."""
        self.iptables(
            "-A", "INPUT", "-s", other.address, "-p", "udp", "--dport", str(port), "-j", "DROP"
        )  # fmt: skip

    def clear_rules(self) -> None:
        """Remove every loss and partition rule of this host."""
        for chain in ("INPUT", "OUTPUT"):
            self.iptables("-F", chain)

    # --- probing -----------------------------------------------------------------------

    def ping(
        self, address: str, *, count: int = 1, interval: float = 0.2, wait: float = 1
    ) -> PingResult:
        """ICMP echo ``address`` ``count`` times from this namespace; count the replies.

        ``wait`` is how long the last reply is waited for, in seconds.
        """
        out = self.sh(
            ["ping", "-n", "-q", "-c", str(count), "-i", f"{interval:g}", "-W", f"{wait:g}",
             address],
            check=False,
            timeout=count * interval + wait + 10,
        )  # fmt: skip
        m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", out)
        if m is None:
            raise LabError(f"cannot parse ping output: {out!r}")
        return PingResult(int(m.group(1)), int(m.group(2)))

    def neighbours(self) -> dict[str, str]:
        """This namespace's ARP table on hb0: IPv4 address -> MAC (complete entries)."""
        out = sh(["ip", "-n", self.ns, "-4", "neigh", "show", "dev", self.iface])
        table = {}
        for line in out.splitlines():
            m = re.match(r"^(\S+) .*lladdr (\S+)", line)
            if m:
                table[m.group(1)] = m.group(2)
        return table

    def flush_neighbours(self) -> None:
        sh(["ip", "-n", self.ns, "neigh", "flush", "dev", self.iface])

    def capture(self, bpf_filter: str = "arp") -> Capture:
        """Start tcpdump on hb0 in this namespace; ``Capture.stop()`` returns its lines."""
        return Capture.start(
            self.netns_argv(["tcpdump", "-l", "-n", "-e", "-t", "-i", self.iface, bpf_filter])
        )

    def mac(self) -> str:
        out = sh(["ip", "-n", self.ns, "-o", "link", "show", self.iface])
        m = re.search(r"link/ether (\S+)", out)
        if m is None:
            raise LabError(f"no MAC address on {self.iface} in {self.ns}")
        return m.group(1)


class Node(Host):
    """A heartbeat node: its namespace plus private /etc/ha.d, /var/lib/heartbeat, /run."""

    def __init__(
        self,
        lab: Lab,
        name: str,
        address: str,
        index: int,
        root: Path,
        private_dirs: Sequence[tuple[str, str]] = PRIVATE_DIRS,
    ) -> None:
        super().__init__(lab, name, address, index)
        self.root = root
        self.private_dirs = tuple(private_dirs)
        self.processes: list[subprocess.Popen[Any]] = []
        # Set by ``pyhb.lab.overlay``: argv prefix that joins a long-lived node namespace
        # (network, mount, UTS) instead of making a fresh private mount namespace per call.
        self.enter: list[str] | None = None
        # What the node sees as /etc/ha.d, /var/lib/heartbeat and /run (``PRIVATE_DIRS``),
        # and where the output of the processes it spawns goes.
        seen_as = {host: root / sub for host, sub in PRIVATE_DIRS}
        self.etc_dir = seen_as["/etc/ha.d"]
        self.var_lib_dir = seen_as["/var/lib/heartbeat"]
        self.run_dir = seen_as["/run"]
        self.log_dir = root / "logs"

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run in the node's network, mount and UTS namespaces."""
        if self.enter is not None:
            return [*self.enter, *argv]
        mounts = [str(x) for host, sub in self.private_dirs for x in (self.root / sub, host)]
        return self.netns_argv(
            ["unshare", "--mount", "--uts", "--propagation", "private", "--",
             "sh", "-c", _WRAPPER, "pyhb-node", self.name, str(len(self.private_dirs)),
             *mounts, *argv]
        )  # fmt: skip

    def spawn(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> subprocess.Popen[Any]:
        """Start ``argv`` inside the node (own session); the lab kills it at teardown.

        stdout and stderr go to ``log_dir/<argv0>-<n>.log`` unless given in ``kwargs``.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{Path(argv[0]).name}-{len(self.processes)}.log"
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        with contextlib.ExitStack() as stack:
            if "stdout" not in kwargs:
                kwargs["stdout"] = stack.enter_context(log_path.open("ab"))
                kwargs.setdefault("stderr", subprocess.STDOUT)
            proc = subprocess.Popen(
                self.wrap(argv),
                env=dict(env) if env is not None else None,
                start_new_session=True,
                **kwargs,
            )
        self.processes.append(proc)
        return proc

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = 30,
        check: bool = False,
        input: str | None = None,  # noqa: A002 - mirrors subprocess.run
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the node to completion, capturing text output."""
        return subprocess.run(
            self.wrap(argv),
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            input=input,
        )

    def prepare_dirs(self, *, seed_from_host: bool) -> None:
        """Create the private directories, seeded from the host's heartbeat install."""
        for host_path, sub in self.private_dirs:
            target = self.root / sub
            target.mkdir(parents=True, exist_ok=True)
            if not seed_from_host:
                continue
            if host_path == "/etc/ha.d" and Path(host_path).is_dir():
                shutil.copytree(host_path, target, symlinks=True, dirs_exist_ok=True)
            elif host_path != "/run" and Path(host_path).is_dir():
                copy_skeleton(Path(host_path), target)
        for sub in _RUN_SKELETON:
            host_dir = Path("/run") / sub
            if seed_from_host and host_dir.is_dir():
                copy_skeleton(host_dir, self.run_dir / sub)
            else:
                (self.run_dir / sub).mkdir(exist_ok=True)


class Lab:
    """Nodes + a client on one bridge, all in fresh namespaces; use as a context manager."""

    def __init__(
        self,
        nodes: Sequence[str] = ("a", "b"),
        *,
        client: bool = True,
        seed_from_host: bool = True,
        root: Path | None = None,
        private_dirs: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``private_dirs`` adds (host path, directory under the node root) pairs to
        ``PRIVATE_DIRS``: each node sees its own empty copy (directories and owners seeded
        from the host's) at that path."""
        if len(nodes) > 100:
            raise ValueError("at most 100 nodes fit the lab subnet")
        self.prefix = f"{NAME_PREFIX}{os.getpid()}-{next(_counter)}-"
        self.switch_ns = f"{self.prefix}sw"
        self.root = root or Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-"))
        self._own_root = root is None
        self.root.chmod(0o755)  # daemons' unprivileged children must reach their dirs
        self.seed_from_host = seed_from_host
        self.private_dirs = PRIVATE_DIRS + tuple(private_dirs)
        self.nodes: dict[str, Node] = {}
        for i, name in enumerate(nodes):
            address = f"{SUBNET}.{i + 1}"
            self.nodes[name] = Node(self, name, address, i, self.root / name, self.private_dirs)
        self.client: Host | None = Host(self, "client", CLIENT_ADDRESS, 200) if client else None
        self._namespaces: list[str] = []
        self._closed = False

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    @property
    def hosts(self) -> list[Host]:
        """Every node, then the client."""
        hosts: list[Host] = list(self.nodes.values())
        if self.client is not None:
            hosts.append(self.client)
        return hosts

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Create the switch, every namespace, link and private directory."""
        atexit.register(self.close)
        try:
            self._add_ns(self.switch_ns)
            sh(["ip", "-n", self.switch_ns, "link", "add", "br0", "type", "bridge",
                "mcast_snooping", "0"])  # fmt: skip
            sh(["ip", "-n", self.switch_ns, "link", "set", "br0", "up"])
            for host in self.hosts:
                self._add_host(host)
            for node in self.nodes.values():
                node.prepare_dirs(seed_from_host=self.seed_from_host)
            for host_path, _ in self.private_dirs:
                # Mount points must exist; on a host without heartbeat they are created.
                Path(host_path).mkdir(parents=True, exist_ok=True)
        except BaseException:
            self.close()
            raise

    def _add_ns(self, ns: str) -> None:
        sh(["ip", "netns", "add", ns])
        self._namespaces.append(ns)
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for key in ("all", "default"):
            sh(["ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                f"net.ipv6.conf.{key}.disable_ipv6=1"], check=False)  # fmt: skip

    def _add_host(self, host: Host) -> None:
        self._add_ns(host.ns)
        # Created directly inside the namespaces: never visible in the host's netns.
        sh(["ip", "link", "add", host.iface, "netns", host.ns, "type", "veth",
            "peer", "name", host.bridge_port, "netns", self.switch_ns])  # fmt: skip
        sh(["ip", "-n", self.switch_ns, "link", "set", host.bridge_port, "master", "br0"])
        sh(["ip", "-n", self.switch_ns, "link", "set", host.bridge_port, "up"])
        sh(["ip", "-n", host.ns, "addr", "add", f"{host.address}/24", "brd", "+",
            "dev", host.iface])  # fmt: skip
        sh(["ip", "-n", host.ns, "link", "set", host.iface, "up"])

    # --- whole-lab faults ------------------------------------------------------------------

    def partition(self, side_a: Iterable[str], side_b: Iterable[str]) -> None:
        """Drop heartbeat traffic both ways between two groups of nodes."""
        group_a = [self.nodes[n] for n in side_a]
        group_b = [self.nodes[n] for n in side_b]
        for x in group_a:
            for y in group_b:
                x.block_from(y)
                y.block_from(x)

    def heal(self) -> None:
        """Remove every loss and partition rule from every node."""
        for node in self.nodes.values():
            node.clear_rules()

    # --- teardown ------------------------------------------------------------------------

    def close(self) -> None:
        """Kill every process, delete namespaces (and with them links and mounts); idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        kill_namespaces(self._namespaces)
        for node in self.nodes.values():
            for proc in node.processes:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=2)
        for ns in reversed(self._namespaces):
            sh(["ip", "netns", "del", ns], check=False)
        self._namespaces.clear()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)


def cleanup_stale() -> list[str]:
    """Remove namespaces and lab directories left by lab runs whose process is gone."""
    removed = []
    for line in sh(["ip", "netns", "list"], check=False).splitlines():
        name = line.split()[0] if line.split() else ""
        m = _NAME_RE.match(name)
        if m and not process_exists(int(m.group(1))):
            kill_namespaces([name], grace=0.5)
            sh(["ip", "netns", "del", name], check=False)
            removed.append(name)
    tmp = Path(tempfile.gettempdir())
    for entry in tmp.glob(f"{_TMP_PREFIX}*"):
        m = _TMP_RE.match(entry.name)
        if m and not process_exists(int(m.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(str(entry))
    return removed
