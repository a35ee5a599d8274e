"""Starting the daemon for ``heartbeat``: config check, pid file, detaching, running.

Split from ``pyhb.cli.heartbeat`` so that ``heartbeat -k``/``-s``/``-V`` never import
the daemon, config and logging stack they do not use.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from pyhb.config.source import ConfigError
from pyhb.daemon import logsetup, preflight
from pyhb.daemon.app import Daemon
from pyhb.daemon.notify import Notifier
from pyhb.daemon.paths import Paths
from pyhb.daemon.pidfile import remove_pidfile, running_pid, write_pidfile
from pyhb.errors import PyhbError


def start(args: argparse.Namespace, paths: Paths) -> int:
    logsetup.configure(None, stderr=True, debug=args.debug)
    try:
        config = preflight.load(paths.confdir, args.node)
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
    from pyhb.config.model import ClusterConfig  # noqa: PLC0415

    assert isinstance(config, ClusterConfig)
    # The detached daemon's stderr is /dev/null: say here what it can only send to syslog.
    for problem in logsetup.check_destinations(config.ha):
        print(f"heartbeat: WARN: {problem}", file=sys.stderr)
    logsetup.shutdown()  # no log writer thread may be caught mid-write by the fork
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
    if not (config.ha.logfile or config.ha.debugfile or config.ha.logfacility):
        logging.getLogger("pyhb").info(
            "No log entry found in ha.cf -- logging to syslog facility %s",
            logsetup.DEFAULT_FACILITY,
        )
    early = _EarlyErrors()
    if notify is not None:
        logging.getLogger().addHandler(early)
    try:
        write_pidfile(paths.pidfile)
    except OSError as exc:
        logging.getLogger("pyhb").error(
            "heartbeat not started: cannot write pid file %s: %s",
            paths.pidfile,
            exc.strerror or exc,
        )
        if notify is not None:
            _notify(notify, 1, "".join(f"{line}\n" for line in early.lines))
        return 1
    daemon = Daemon(
        config,
        paths,
        manage_resources=not args.no_resources,
        log_to_stderr=not detached,
        debug=args.debug,
        realtime=not args.no_realtime,
        notifier=Notifier.from_environ(),
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
    except OSError as exc:  # the machine, not pyhb: a directory that is a file, a full disk
        logging.getLogger("pyhb").error("heartbeat not started: %s", exc)
        code = 1
    except Exception:
        logging.getLogger("pyhb").exception("heartbeat: unexpected internal error, exiting")
        code = 1
    finally:
        remove_pidfile(paths.pidfile)
    if notify is not None and not early.done:
        _notify(notify, code, "".join(f"{line}\n" for line in early.lines))
    logsetup.shutdown()  # everything logged reaches its destination (os._exit follows)
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
