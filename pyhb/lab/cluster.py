"""A heartbeat cluster inside a ``Lab``: configs written, daemons started and killed.

Used by the integration tests and by ``pyhb demo``. Each node gets the same ha.cf,
authkeys (mode 600) and haresources in its private /etc/ha.d, and a test service
script ``tsvc`` in resource.d that appends ``<time> <node> <action>`` to a log in
its private /var/lib/heartbeat, so start and stop order can be proven.
Imports stdlib and ``pyhb.lab`` only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyhb.lab.fencing import install_power_off
from pyhb.lab.netns import IFACE, SUBNET, Lab, Node

VIP = f"{SUBNET}.100"
MCAST_GROUP = "239.77.0.1"
PYHB_TOOLS = frozenset({"cl_status", "hb_standby", "hb_takeover", "heartbeat"})
# The reference implementation, from Debian's heartbeat package; -f keeps it in the foreground.
REBOOT_ENV = "PYHB_REBOOT_COMMAND"  # see pyhb.daemon.fence (the lab does not import it)
REAL_HEARTBEAT = ("/usr/libexec/heartbeat/heartbeat", "-f")
REAL_TOOLS = {
    "cl_status": "/usr/bin/cl_status",
    "hb_standby": "/usr/share/heartbeat/hb_standby",
    "hb_takeover": "/usr/share/heartbeat/hb_takeover",
    "heartbeat": "/usr/libexec/heartbeat/heartbeat",
}

TSVC = """#!/bin/sh
# Test service: records every call with a timestamp; status from a state file.
name="${1:-tsvc}"; action="${2:-$1}"
[ $# -ge 2 ] || name=tsvc
state="/var/lib/heartbeat/tsvc-$name.state"
log=/var/lib/heartbeat/tsvc.log
now=$(date +%s.%N)
case "$action" in
  start) echo "$now $(hostname) $name start" >> "$log"; : > "$state";;
  stop) echo "$now $(hostname) $name stop" >> "$log"; rm -f "$state";;
  status) if [ -e "$state" ]; then echo running; else echo "not running"; fi;;
  *) exit 1;;
esac
exit 0
"""


def media_lines(medium: str, nodes: list[Node]) -> list[str]:
    """ha.cf media lines for ``bcast``, ``ucast`` or ``mcast`` on the lab interface."""
    if medium == "bcast":
        return [f"bcast {IFACE}"]
    if medium == "ucast":
        return [f"ucast {IFACE} {n.address}" for n in nodes]
    if medium == "mcast":
        return [f"mcast {IFACE} {MCAST_GROUP} 694 1 0"]
    raise ValueError(f"unknown medium {medium!r}")


@dataclass
class Cluster:
    """Two or more pyhb nodes in a lab, sharing one configuration."""

    lab: Lab
    medium: str = "bcast"
    keepalive: str = "200ms"
    deadtime: str = "1"
    warntime: str = "500ms"
    initdead: str = "4"
    auto_failback: str | None = "on"  # None: no auto_failback line (Heartbeat's legacy)
    resources: str = f"{VIP}/24/{IFACE} tsvc::one tsvc::two"
    preferred: str = "a"
    auth: str = "auth 1\n1 sha1 pyhb-lab-secret\n"
    extra: list[str] = field(default_factory=list)
    python: str = sys.executable  # the interpreter of pyhb's daemon and tools
    daemon: list[str] = field(default_factory=list)  # default: python -m pyhb -f
    procs: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)
    real: set[str] = field(default_factory=set)  # nodes running the real Heartbeat 3.0.6
    upper_names: bool = False  # ha.cf and haresources name the nodes in upper case

    def __post_init__(self) -> None:
        if not self.daemon:
            self.daemon = [self.python, "-m", "pyhb", "-f"]

    def configure(self) -> None:
        nodes = list(self.lab.nodes.values())
        lines = [
            f"keepalive {self.keepalive}",
            f"deadtime {self.deadtime}",
            f"warntime {self.warntime}",
            f"initdead {self.initdead}",
            # Before the media, as ha.cf(5) asks. Heartbeat 3.0.6 still prints "udpport
            # setting must precede media statements" on stderr for any udpport line, even
            # a first one (checked in the lab); the port is used all the same.
            "udpport 694",
            *media_lines(self.medium, nodes),
            *([] if self.auto_failback is None else [f"auto_failback {self.auto_failback}"]),
            "logfacility none",
            "logfile /var/lib/heartbeat/ha-log",
            "debugfile /var/lib/heartbeat/ha-debug",
            "node " + " ".join(self.config_name(n) for n in self.lab.nodes),
            *self.extra,
        ]
        for node in nodes:
            etc = node.etc_dir
            (etc / "resource.d").mkdir(parents=True, exist_ok=True)
            (etc / "ha.cf").write_text("\n".join(lines) + "\n")
            keys = etc / "authkeys"
            keys.write_text(self.auth)
            keys.chmod(0o600)
            preferred = self.config_name(self.preferred)
            (etc / "haresources").write_text(f"{preferred} {self.resources}\n")
            script = etc / "resource.d" / "tsvc"
            script.write_text(TSVC)
            script.chmod(0o755)

    def config_name(self, name: str) -> str:
        """How the configuration files spell node ``name`` (its hostname is ``name``)."""
        return name.upper() if self.upper_names else name

    def start(self, name: str, env: dict[str, str] | None = None) -> subprocess.Popen[Any]:
        """Start the node's daemon. A pyhb node's reboot command is always the lab's
        power-off (``pyhb.lab.fencing``): a lab daemon never reboots the host."""
        argv = list(REAL_HEARTBEAT) if name in self.real else self.daemon
        env = dict(os.environ if env is None else env)
        env[REBOOT_ENV] = install_power_off(self.lab[name])
        proc = self.lab[name].spawn(argv, env=env)
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """kill -9 of the node's daemon."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self, name: str, timeout: float = 30) -> None:
        """Graceful stop (SIGTERM, as ``heartbeat -k`` sends), waiting for the exit."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)

    def addresses(self, name: str) -> str:
        return self.lab[name].sh(["ip", "-4", "-o", "addr", "show", "dev", IFACE])

    def has_vip(self, name: str) -> bool:
        return f" {VIP}/" in self.addresses(name)

    def owners(self) -> list[str]:
        """Nodes whose daemon runs and that hold the VIP.

        A node whose daemon was killed keeps what it had configured, as a real host would
        until it reboots; see ``reboot``.
        """
        return [n for n in self.lab.nodes if n in self.procs and self.has_vip(n)]

    def reboot(self, name: str) -> None:
        """What a reboot does to a stopped node: its VIP and test-service state are gone."""
        if name in self.procs:
            raise ValueError(f"node {name} is still running")
        node = self.lab[name]
        node.sh(["ip", "-4", "addr", "flush", "to", f"{VIP}/32", "dev", IFACE], check=False)
        for state in node.var_lib_dir.glob("tsvc-*.state"):
            state.unlink()

    def cl_status(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.tool(name, "cl_status", *args)

    def tool(self, name: str, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run a command in the node: on a ``real`` node Heartbeat's own tools, elsewhere
        pyhb's, run from this Python whatever PATH says."""
        cmd = list(argv)
        if cmd and name in self.real and cmd[0] in REAL_TOOLS:
            cmd[0] = REAL_TOOLS[cmd[0]]
        elif cmd and cmd[0] in PYHB_TOOLS:
            cmd = [self.python, "-m", f"pyhb.cli.{cmd[0]}", *cmd[1:]]
        return self.lab[name].run(cmd)

    def service_log(self, name: str) -> list[str]:
        path = self.lab[name].var_lib_dir / "tsvc.log"
        return path.read_text().splitlines() if path.exists() else []

    def ha_log(self, name: str) -> str:
        path = self.lab[name].var_lib_dir / "ha-log"
        # Heartbeat dumps rejected packets into its log, binary bytes and all.
        return path.read_text(errors="replace") if path.exists() else ""


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.01) -> float:
    """Poll until ``predicate()``; returns the seconds it took, raises TimeoutError."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(step)
