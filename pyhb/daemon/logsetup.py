"""The only place that configures logging handlers: logfile, debugfile, syslog, stderr.

Lines in files look like 3.0.6's (``syslogmsgfmt true``):
``Nov 22 03:48:52 alpha heartbeat: [7]: WARN: node beta: is dead``, so log watchers
keep working. ``logfile`` gets everything but debug, ``debugfile`` everything, syslog
(when ``logfacility`` is set and not ``none``) everything. Files are reopened when
renamed (logrotate), as ``WatchedFileHandler`` does.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import time

from pyhb.config.model import HaConfig

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


def configure(ha: HaConfig | None, *, stderr: bool, debug: int = 0) -> None:
    """Install the handlers ha.cf asks for (plus stderr in the foreground)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.setLevel(logging.DEBUG if debug or (ha and (ha.debug or ha.debugfile)) else logging.INFO)
    for noisy in ("pyroute2", "scapy", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    node = socket.gethostname()
    fmt = HeartbeatFormatter(node, syslogmsgfmt=ha.syslogmsgfmt if ha else True)
    if stderr:
        h: logging.Handler = logging.StreamHandler()
        h.setFormatter(fmt)
        h.setLevel(logging.DEBUG if debug else logging.INFO)
        root.addHandler(h)
    if ha is None:
        return
    if ha.logfile and ha.logfile != "/dev/null":
        fh = logging.handlers.WatchedFileHandler(ha.logfile)
        fh.setFormatter(fmt)
        fh.addFilter(_BelowDebug())
        root.addHandler(fh)
    if ha.debugfile and ha.debugfile != "/dev/null":
        dh = logging.handlers.WatchedFileHandler(ha.debugfile)
        dh.setFormatter(fmt)
        root.addHandler(dh)
    facility = (ha.logfacility or "none").lower()
    if facility not in ("none", "kern") and os.path.exists("/dev/log"):
        code = logging.handlers.SysLogHandler.facility_names.get(facility)
        if code is not None:
            sh = logging.handlers.SysLogHandler(address="/dev/log", facility=code)
            sh.setFormatter(_SyslogFormatter())
            root.addHandler(sh)
