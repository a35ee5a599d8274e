"""The only place that configures logging handlers: logfile, debugfile, syslog, stderr.

Lines in files look like 3.0.6's (``syslogmsgfmt true``):
``Nov 22 03:48:52 alpha heartbeat: [7]: WARN: node beta: is dead``, so log watchers
keep working. ``logfile`` gets everything but debug, ``debugfile`` everything, syslog
(when ``logfacility`` is set and not ``none``) everything. Files are reopened when
renamed (logrotate), as ``WatchedFileHandler`` does.

With no logfile, debugfile or syslog facility, 3.0.6 hands its messages to ``ha_logd``,
whose default configuration sends them to syslog facility ``daemon``; pyhb has no logd and
sends them to syslog facility ``daemon`` itself, so nothing is lost.

A log file's missing directory is created (mode 0755). A destination that still cannot be
opened is reported (``LogProblem``, logged as an error to the destinations that work and
returned to the caller for stderr) and skipped: logging never stops the daemon. A write
that fails later (disk full, syslog gone) is dropped without a traceback.

Each destination is written by its own thread (``logqueue``): a log call never waits for
a destination, and ``shutdown`` writes out what is queued before the process exits.
"""

from __future__ import annotations

import errno
import logging
import logging.handlers
import os
import socket
import time

from pyhb.config.model import HaConfig
from pyhb.daemon.logqueue import STOP_WAIT, Background, stop_all

LEVEL_WORDS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "WARN",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRIT",
}


class HeartbeatFormatter(logging.Formatter):
    """3.0.6's log line layout."""

    def __init__(self, node: str, *, syslogmsgfmt: bool = True) -> None:
        super().__init__()
        self.node = node
        self.syslogmsgfmt = syslogmsgfmt

    def format(self, record: logging.LogRecord) -> str:
        word = LEVEL_WORDS.get(record.levelno, record.levelname)
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if self.syslogmsgfmt:
            stamp = time.strftime("%b %d %H:%M:%S", time.localtime(record.created))
            return f"{stamp} {self.node} heartbeat: [{record.process}]: {word}: {text}"
        stamp = time.strftime("%Y/%m/%d_%H:%M:%S", time.localtime(record.created))
        return f"heartbeat[{record.process}]: {stamp} {word}: {text}"


class _SyslogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        word = LEVEL_WORDS.get(record.levelno, record.levelname)
        return f"heartbeat: [{record.process}]: {word}: {record.getMessage()}"


class _BelowDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


#: Where syslog is reached.
SYSLOG_ADDRESS = "/dev/log"
#: The facility used when ha.cf names no log destination at all (3.0.6's ha_logd default).
DEFAULT_FACILITY = "daemon"


class _QuietFile(logging.handlers.WatchedFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        """A failed write (disk full, directory gone) is dropped, never a traceback."""


class _QuietSyslog(logging.handlers.SysLogHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        """Like syslog(3): no syslog daemon, no message, no traceback."""


def syslog_facility(ha: HaConfig) -> str | None:
    """The syslog facility ``ha`` logs to, or None: ``logfacility`` if set (``none`` and
    ``kern`` disable syslog), else ``daemon`` when no logfile or debugfile is set either."""
    if ha.logfacility:
        facility = ha.logfacility.lower()
        if facility not in ("none", "kern"):
            return facility
    return None if (ha.logfile or ha.debugfile) else DEFAULT_FACILITY


def make_log_dir(path: str) -> None:
    """Create the missing directories above the log file ``path``, each mode 0755."""
    missing: list[str] = []
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), parent)
    for directory in reversed(missing):
        os.mkdir(directory, 0o755)
        os.chmod(directory, 0o755)  # noqa: S103 - a log directory, as logrotate expects


def _file_handler(kind: str, path: str, problems: list[str]) -> logging.Handler | None:
    try:
        make_log_dir(path)
        return _QuietFile(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename and exc.filename != path else ""
        problems.append(f"cannot open {kind} {path}: {reason}{where}; not logging there")
        return None


def check_destinations(ha: HaConfig) -> list[str]:
    """Prepare ha.cf's log files (directories created) and say which cannot be used."""
    problems: list[str] = []
    for kind, path in (("logfile", ha.logfile), ("debugfile", ha.debugfile)):
        if path and path != "/dev/null":
            handler = _file_handler(kind, path, problems)
            if handler is not None:
                handler.close()
    return problems


def _remove_handlers(root: logging.Logger) -> None:
    """Take the root logger's handlers off, without waiting for a stalled destination."""
    for old in list(root.handlers):
        root.removeHandler(old)
        if isinstance(old, Background):
            old.detach()  # its thread writes what is queued, then closes the destination
        else:
            old.close()


def configure(
    ha: HaConfig | None,
    *,
    stderr: bool,
    debug: int = 0,
    syslog_address: str | None = None,
) -> list[str]:
    """Install the handlers ha.cf asks for (plus stderr in the foreground).

    Returns the destinations that could not be set up (already logged as errors)."""
    root = logging.getLogger()
    _remove_handlers(root)
    root.setLevel(logging.DEBUG if debug or (ha and (ha.debug or ha.debugfile)) else logging.INFO)
    for noisy in ("pyroute2", "scapy", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    node = socket.gethostname()
    fmt = HeartbeatFormatter(node, syslogmsgfmt=ha.syslogmsgfmt if ha else True)
    if stderr:
        h: logging.Handler = logging.StreamHandler()
        h.setFormatter(fmt)
        h.setLevel(logging.DEBUG if debug else logging.INFO)
        root.addHandler(Background(h))
    if ha is None:
        return []
    problems: list[str] = []
    if ha.logfile and ha.logfile != "/dev/null":
        fh = _file_handler("logfile", ha.logfile, problems)
        if fh is not None:
            fh.setFormatter(fmt)
            fh.addFilter(_BelowDebug())
            root.addHandler(Background(fh))
    if ha.debugfile and ha.debugfile != "/dev/null":
        dh = _file_handler("debugfile", ha.debugfile, problems)
        if dh is not None:
            dh.setFormatter(fmt)
            root.addHandler(Background(dh))
    facility = syslog_facility(ha)
    code = logging.handlers.SysLogHandler.facility_names.get(facility or "")
    if code is not None:
        address = syslog_address or SYSLOG_ADDRESS
        sh = _QuietSyslog(address=address, facility=code)
        sh.setFormatter(_SyslogFormatter())
        root.addHandler(Background(sh))
        sock: socket.socket | None = getattr(sh, "socket", None)
        if sock is None or sock.fileno() < 0:
            problems.append(f"no syslog at {address}: messages to syslog are lost until it runs")
    for problem in problems:
        logging.getLogger("pyhb.log").error("%s", problem)
    return problems


def flush() -> None:
    """Wait (a few seconds at most) until every destination has taken what was logged."""
    for h in logging.getLogger().handlers:
        h.flush()


def shutdown(wait: float = STOP_WAIT) -> bool:
    """Take the handlers ``configure`` installed off the root logger once they have
    written everything logged so far (at most ``wait`` seconds for a stalled one).
    False if one did not finish in time."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, Background)]
    for h in ours:
        root.removeHandler(h)
    return stop_all(ours, wait)
