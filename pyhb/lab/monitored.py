"""A monitored service for lab clusters (docs/monitoring.md): ``websvc``, an LSB script
running a python HTTP server on ``PORT`` with a pid file, and the probes around it (kill
it, ask from the client whether it answers on the VIP).

Used by the monitoring tests and benchmark. Imports stdlib and ``pyhb.lab`` only.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from pyhb.lab.cluster import VIP, Cluster
from pyhb.lab.netns import Host

PORT = 8080

WEBSVC = f"""#!/bin/sh
# Test web service: an HTTP server on port {PORT}; status from its pid.
pidf=/var/lib/heartbeat/websvc.pid
log=/var/lib/heartbeat/tsvc.log
alive() {{
  [ -f "$pidf" ] || return 1
  state=$(sed 's/.*) //' "/proc/$(cat "$pidf")/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ]
}}
case "$1" in
  start)
    alive && exit 0
    setsid python3 -m http.server {PORT} --directory /var/lib/heartbeat \\
      >/dev/null 2>&1 </dev/null &
    echo $! > "$pidf"
    i=0
    while [ $i -lt 100 ] && [ -z "$(ss -Hltn "sport = :{PORT}")" ]; do
      sleep 0.05; i=$((i + 1))
    done
    echo "$(date +%s.%N) $(hostname) websvc start" >> "$log";;
  stop)
    if alive; then kill "$(cat "$pidf")"; fi
    rm -f "$pidf"
    echo "$(date +%s.%N) $(hostname) websvc stop" >> "$log";;
  status) if alive; then echo running; else echo "not running"; fi;;
  *) exit 1;;
esac
exit 0
"""


def install(cluster: Cluster, pyhbcf: str, extra: dict[str, str] | None = None) -> None:
    """Put ``websvc``, pyhb.cf and any ``extra`` executables (name -> text, in
    /etc/ha.d) on every node of a configured cluster."""
    for node in cluster.lab.nodes.values():
        etc = node.etc_dir
        script = etc / "resource.d" / "websvc"
        script.write_text(WEBSVC)
        script.chmod(0o755)
        (etc / "pyhb.cf").write_text(pyhbcf)
        for name, text in (extra or {}).items():
            (etc / name).write_text(text)
            (etc / name).chmod(0o755)


def service_pid(cluster: Cluster, name: str) -> int | None:
    path: Path = cluster.lab[name].var_lib_dir / "websvc.pid"
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def kill_service(cluster: Cluster, name: str) -> int:
    """kill -9 of the node's web server; returns its pid."""
    pid = service_pid(cluster, name)
    if pid is None:
        raise RuntimeError(f"websvc is not running on {name}")
    os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return pid


def served(client: Host) -> bool:
    """Whether the web service answers on the VIP, from the client's namespace."""
    probe = (
        f"import socket; s = socket.create_connection(('{VIP}', {PORT}), 0.3); "
        "s.sendall(b'HEAD / HTTP/1.0\\r\\n\\r\\n'); print(s.recv(12).decode())"
    )
    return "HTTP/1." in client.sh(["python3", "-c", probe], check=False)
