"""``pyhb status [--json] [--run-dir DIR]``: the running node's view of the cluster.

Without ``--json``: a summary for people (its wording may change). With ``--json``: the
status document, whose schema is docs/status.schema.json and documented in
docs/status.md. Exit 0; 1 when the daemon is not running or does not answer (message on
stderr); 2 on a usage error. ``cl_status`` keeps Heartbeat's output; this is pyhb's own.
Imports ``control.client`` only, so it starts as fast as the other tools.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from pyhb.cli.tool import parse_args
from pyhb.control.client import ControlClient, socket_path
from pyhb.control.protocol import ControlError


def _duration(seconds: float) -> str:
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    text = f"{hours}h {minutes:02d}m {s:02d}s" if hours or days else f"{minutes}m {s:02d}s"
    return f"{days}d {text}" if days else text


def _monitor_text(mon: dict[str, Any]) -> str:
    if not mon.get("monitored"):
        return "unmonitored"
    last = mon.get("last_check")
    if last is None:
        checked = "not checked yet"
    else:
        verdict = "ok" if mon.get("last_check_ok") else "FAILED"
        checked = f"last check {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(last))} {verdict}"
    window = mon.get("window_seconds")
    return (
        f"{checked}, {mon.get('failures_in_window')} failure(s) in {window:g} s, "
        f"{mon.get('restarts')} restart(s), {'cleared' if mon.get('cleared') else 'NOT cleared'}"
    )


def render(doc: dict[str, Any]) -> str:
    """The summary for people."""
    t = doc["timings"]
    lines = [
        f"pyhb {doc['version']} on node {doc['local_node']} ({doc['local_status']}), "
        f"up {_duration(doc['uptime_seconds'])}",
        f"keepalive {t['keepalive_ms']} ms, deadtime {t['deadtime_ms']} ms, "
        f"warntime {t['warntime_ms']} ms, initdead {t['initdead_ms']} ms",
        f"auto_failback {doc['auto_failback']}; resources held here: {doc['rscstatus']}",
        "",
        "Nodes:",
    ]
    width = max((len(n["name"]) for n in doc["nodes"]), default=0) + 8
    for n in doc["nodes"]:
        name = n["name"] + (" (local)" if n["local"] else "")
        links = ", ".join(f"{li['name']} {li['status']}" for li in n["links"]) or "-"
        kind = "" if n["type"] == "normal" else f" [{n['type']}]"
        lines.append(f"  {name:<{width}} {n['status']:<7} links: {links}{kind}")
    lines += ["", "Resource groups:"] if doc["groups"] else ["", "No resource groups."]
    for g in doc["groups"]:
        holder = g["holder"] or "nobody"
        error = f" ({g['error']})" if g["error"] else ""
        lines.append(
            f"  {g['key']}: preferred {g['preferred_node']}, held by {holder}, "
            f"{g['state']} here{error}"
        )
        lines += [f"    {r['resource']}: {_monitor_text(r['monitor'])}" for r in g["resources"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyhb status", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="the status document (JSON)")
    parser.add_argument("--run-dir", help="the daemon's run directory (default /run/heartbeat)")
    args = parse_args(parser, sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    client = ControlClient(socket_path(args.run_dir))
    try:
        doc = client.status()
    except ControlError as exc:  # DaemonNotRunning says "heartbeat is not running"
        print(f"pyhb status: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        print(render(doc))
    return 0
