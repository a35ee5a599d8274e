"""``heartbeat``: the daemon's command line, heartbeat(8)-compatible.

Flags as 3.0.6 (``-f -k -r -s -V -d -v -M``) plus long options to move the conf,
state and run directories and set the node name, so several nodes can run on one
host. Exit codes: 0 ok; 1 start failure; 2 usage; 3 ``-s`` not running (1 stale
pid file); 4 permission; 6 configuration error (LSB "not configured").
Unlike 3.0.6, the parent of a backgrounded daemon exits only once the daemon has
opened its sockets, with the daemon's exit code if it could not; ``-r`` on a
stopped daemon says so instead of starting it (docs/protocol.md#dep-restart); ``-k`` gives up after
``--stop-timeout`` seconds.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pyhb
from pyhb.cli.tool import parse_args
from pyhb.daemon.paths import Paths
from pyhb.daemon.pidfile import process_exists, read_pid, running_pid

# -k, -s and -V import only the above: a stop hands over as soon as the signal is sent,
# not after loading the daemon and config stack. -r and starting import the rest.

VERSION_LINE = f"3.0.6 (pyhb {pyhb.__version__})"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="heartbeat", description="pyhb heartbeat daemon")
    p.add_argument("-f", dest="foreground", action="store_true", help="stay in the foreground")
    p.add_argument("-k", dest="kill", action="store_true", help="stop the running daemon")
    p.add_argument("-r", dest="reload", action="store_true", help="reload the configuration")
    p.add_argument("-s", dest="status", action="store_true", help="report status")
    p.add_argument("-V", dest="version", action="store_true", help="print the version")
    p.add_argument("-d", dest="debug", action="count", default=0, help="raise the debug level")
    p.add_argument("-v", dest="verbose", action="store_true", help="print the configuration")
    p.add_argument("-M", dest="no_resources", action="store_true", help="do not manage resources")
    p.add_argument(
        "-l", dest="no_realtime", action="store_true",
        help="no real-time scheduling or memory locking",
    )  # fmt: skip
    p.add_argument("-t", dest="check", action="store_true", help="check the configuration, exit")
    home = Paths()  # Heartbeat's own paths
    p.add_argument("--confdir", type=Path, default=home.confdir)
    p.add_argument("--statedir", type=Path, default=home.statedir)
    p.add_argument("--rundir", type=Path, default=Path(os.environ.get("PYHB_RUN_DIR", home.rundir)))
    p.add_argument("--pidfile", type=Path, default=home.pidfile)
    p.add_argument("--node", help="this node's name (default: nodeinfo, then uname -n)")
    p.add_argument("--stop-timeout", type=float, default=1800.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``heartbeat`` command."""
    args = parse_args(_parser(), sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    paths = Paths(args.confdir, args.statedir, args.rundir, args.pidfile)
    if args.version:
        print(VERSION_LINE)
        return 0
    if args.status:
        return _status(paths, args.node)
    if args.kill:
        return _stop(paths, args.stop_timeout)
    if args.reload:
        return _reload(paths, args.node)
    from pyhb.cli.daemon_start import start  # noqa: PLC0415 - the daemon stack, only to start

    return start(args, paths)


def _status(paths: Paths, node: str | None) -> int:
    pid = running_pid(paths.pidfile)
    if pid is None:
        print("heartbeat is stopped. No process")
        return 1 if read_pid(paths.pidfile) is not None else 3
    host = socket.gethostname()
    print(f"heartbeat OK [pid {pid} et al] is running on {host} [{node or host}]...")
    return 0


def _stop(paths: Paths, timeout: float) -> int:
    pid = running_pid(paths.pidfile)
    if pid is None:
        print("INFO: Heartbeat already stopped.", file=sys.stderr)
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError as exc:
        print(f"ERROR: Could not kill pid {pid}: {exc.strerror}", file=sys.stderr)
        return 4 if exc.errno in (errno.EPERM, errno.EACCES) else 1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_exists(pid):
            return 0
        time.sleep(0.05)
    print(f"ERROR: heartbeat pid {pid} still running after {timeout:.0f} s", file=sys.stderr)
    return 1


def _reload(paths: Paths, node: str | None) -> int:
    pid = running_pid(paths.pidfile)
    if pid is None:
        print("heartbeat is not running; nothing to reload", file=sys.stderr)
        return 7
    from pyhb.config import load_config  # noqa: PLC0415 - only -r needs the config stack
    from pyhb.config.source import ConfigError  # noqa: PLC0415

    try:
        load_config(paths.confdir, node)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        print(f"Config errors: Heartbeat pid {pid} NOT restarted", file=sys.stderr)
        return 6
    print(f"Signalling heartbeat pid {pid} to reread config files")
    os.kill(pid, signal.SIGHUP)
    return 0


if __name__ == "__main__":
    sys.exit(main())
