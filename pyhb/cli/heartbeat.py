"""``heartbeat``: the daemon's command line, heartbeat(8)-compatible.

Flags as 3.0.6 (``-f -k -r -s -V -d -v -M``) plus long options to move the conf,
state and run directories and set the node name, so several nodes can run on one
host. Exit codes: 0 ok; 1 start failure; 2 usage; 3 ``-s`` not running (1 stale
pid file); 4 permission; 6 configuration error (LSB "not configured").
Unlike 3.0.6, the parent of a backgrounded daemon exits only once the daemon has
opened its sockets, with the daemon's exit code if it could not; ``-r`` on a
stopped daemon says so instead of starting it (quirk Q16); ``-k`` gives up after
``--stop-timeout`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pyhb
from pyhb.config import load_config
from pyhb.config.source import ConfigError
from pyhb.daemon import logsetup
from pyhb.daemon.app import Daemon, Paths
from pyhb.daemon.pidfile import read_pid, remove_pidfile, running_pid, write_pidfile
from pyhb.errors import PyhbError

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
    p.add_argument("-l", dest="no_realtime", action="store_true", help="accepted, no effect")
    p.add_argument("-t", dest="check", action="store_true", help="check the configuration, exit")
    p.add_argument("--confdir", type=Path, default=Path("/etc/ha.d"))
    p.add_argument("--statedir", type=Path, default=Path("/var/lib/heartbeat"))
    p.add_argument(
        "--rundir", type=Path, default=Path(os.environ.get("PYHB_RUN_DIR", "/run/heartbeat"))
    )
    p.add_argument("--pidfile", type=Path, default=Path("/run/heartbeat.pid"))
    p.add_argument("--node", help="this node's name (default: nodeinfo, then uname -n)")
    p.add_argument("--stop-timeout", type=float, default=1800.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``heartbeat`` command."""
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
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
    return _start(args, paths)


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
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 0
        time.sleep(0.05)
    print(f"ERROR: heartbeat pid {pid} still running after {timeout:.0f} s", file=sys.stderr)
    return 1


def _reload(paths: Paths, node: str | None) -> int:
    pid = running_pid(paths.pidfile)
    if pid is None:
        print("heartbeat is not running; nothing to reload", file=sys.stderr)
        return 7
    try:
        load_config(paths.confdir, node)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        print(f"Config errors: Heartbeat pid {pid} NOT restarted", file=sys.stderr)
        return 6
    print(f"Signalling heartbeat pid {pid} to reread config files")
    os.kill(pid, signal.SIGHUP)
    return 0


def _start(args: argparse.Namespace, paths: Paths) -> int:
    logsetup.configure(None, stderr=True, debug=args.debug)
    try:
        config = load_config(paths.confdir, args.node)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print("ERROR: Configuration error, heartbeat not started.", file=sys.stderr)
        return 6
    if args.check:
        return 0
    if args.verbose:
        print(config.ha)
    pid = running_pid(paths.pidfile)
    if pid is not None:
        print(f"heartbeat: already running [pid {pid}].", file=sys.stderr)
        return 0
    if args.foreground:
        return _run(config, paths, args, detached=False)
    return _daemonize(config, paths, args)


def _daemonize(config: object, paths: Paths, args: argparse.Namespace) -> int:
    rfd, wfd = os.pipe()
    if os.fork() > 0:
        os.close(wfd)
        with os.fdopen(rfd, "rb") as status:
            report = status.read()
        if len(report) > 1:  # the detached daemon failed before it was ready: say why
            sys.stderr.write(report[1:].decode(errors="replace"))
        return report[0] if report else 1
    os.close(rfd)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.umask(0o022)
    os.chdir("/")
    code = _run(config, paths, args, detached=True, notify=wfd)
    os._exit(code)


def _run(
    config: object,
    paths: Paths,
    args: argparse.Namespace,
    *,
    detached: bool,
    notify: int | None = None,
) -> int:
    from pyhb.config.model import ClusterConfig  # noqa: PLC0415

    assert isinstance(config, ClusterConfig)
    logsetup.configure(config.ha, stderr=not detached, debug=args.debug)
    early = _EarlyErrors()
    if notify is not None:
        logging.getLogger().addHandler(early)
    write_pidfile(paths.pidfile)
    daemon = Daemon(
        config,
        paths,
        manage_resources=not args.no_resources,
        log_to_stderr=not detached,
        debug=args.debug,
    )

    async def main_task() -> int:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if notify is not None:
            ready.add_done_callback(lambda _f: _ready(notify, early))
        return await daemon.run(ready)

    try:
        code = asyncio.run(main_task())
    except PyhbError as exc:
        logging.getLogger("pyhb").error("%s", exc)
        code = 1
    except PermissionError as exc:
        logging.getLogger("pyhb").error("%s", exc)
        code = 4
    except Exception:
        logging.getLogger("pyhb").exception("heartbeat: unexpected internal error, exiting")
        code = 1
    finally:
        remove_pidfile(paths.pidfile)
    if notify is not None and not early.done:
        _notify(notify, code, "".join(f"{line}\n" for line in early.lines))
    return code


class _EarlyErrors(logging.Handler):
    """Warnings and errors logged before a detached daemon is ready, for the starting shell."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.done = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.done and record.levelno >= logging.ERROR:
            self.lines.append(f"ERROR: {record.getMessage()}")


def _ready(fd: int, early: _EarlyErrors) -> None:
    early.done = True
    logging.getLogger().removeHandler(early)
    _notify(fd, 0)


def _notify(fd: int, code: int, text: str = "") -> None:
    try:
        os.write(fd, bytes([code]) + text.encode())
        os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
