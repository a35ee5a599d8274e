"""``hb_standby [all|foreign|local|failback]``: give resource groups to the peer.

Argument checking, messages, streams and exit codes are those of 3.0.6's shell script
(``failback`` means ``foreign``; errors print ``$0: ...`` and ``usage:`` on stdout, the usage
line on stderr, exit 1). Unlike 3.0.6, which writes into a FIFO and hangs forever when the
daemon is down, the request goes over the control socket: the tool exits 0 once the daemon
has accepted it, and 1 with a clear message when the daemon is down, does not answer,
refuses, or the caller is not root. ``Going standby [SET].`` is logged the way the shell
helper ``ha_log`` does, once the daemon has accepted the request.

Also holds the argument and reporting helpers ``hb_takeover`` shares. Imports
``control.client``, ``control.protocol`` and ``core.events`` only (no asyncio, no
cryptography: the tool starts fast).
"""

from __future__ import annotations

import contextlib
import os
import sys
import syslog
import time
from collections.abc import Callable

from pyhb.control.client import ControlClient, socket_path, split_run_dir
from pyhb.control.protocol import PERMISSION_DENIED, ControlError
from pyhb.core.events import RscHold

WORDS = ("all", "foreign", "local", "failback")


def _usage(prog: str) -> int:
    sys.stdout.write("usage:\n")
    sys.stdout.flush()
    sys.stderr.write(f"{prog} [all|foreign|local|failback]\n")
    return 1


def parse_set(prog: str, args: list[str]) -> str | int:
    """The resource-set word (default ``all``), or exit code 1 after the script's messages."""
    if len(args) >= 2:
        sys.stdout.write(f"{prog}: too many arguments\n")
        return _usage(prog)
    word = args[0] if args else "all"
    if word == "--help":
        return _usage(prog)
    if word not in WORDS:
        sys.stdout.write(f"{prog}: wrong resources({word}).\n")
        return _usage(prog)
    return word


def read_call(tool: str, argv: list[str] | None) -> tuple[str, str | None, str] | int:
    """``(prog, run_dir, set word)`` of this call, or exit code 1 after the script's messages."""
    prog = sys.argv[0] if sys.argv and sys.argv[0] else tool
    run_dir, args = split_run_dir(sys.argv[1:] if argv is None else argv)
    word = parse_set(prog, args)
    return word if isinstance(word, int) else (prog, run_dir, word)


def send(tool: str, run_dir: str | None, action: Callable[[ControlClient], None]) -> int:
    """Check we are root, run ``action`` against the daemon; 0 when it accepted."""
    if os.geteuid() != 0:
        sys.stderr.write(f"{tool}: {PERMISSION_DENIED}\n")
        return 1
    try:
        action(ControlClient(socket_path(run_dir)))
    except ControlError as exc:
        sys.stderr.write(f"{tool}: {exc}\n")
        return 1
    return 0


def ha_log(script: str, text: str) -> None:
    """Log like ``ha_log`` in ocf-shellfuncs: tty -> stderr; else syslog/HA_LOGFILE/stderr."""
    env = os.environ
    facility = env.get("HA_LOGFACILITY", "")
    facility = "" if facility == "none" else facility
    tag = env.get("HA_LOGTAG", "")
    if sys.stdin is not None and sys.stdin.isatty():
        sys.stderr.write(f"{tag}: {text}\n" if tag else f"{text}\n")
        return
    tag = tag or f"{script}(default)[{os.getpid()}]"
    date = time.strftime(env.get("HA_DATEFMT", "%b %d %H:%M:%S "))
    logfile = env.get("HA_LOGFILE", "")
    if facility:
        code = getattr(syslog, f"LOG_{facility.upper()}", syslog.LOG_DAEMON)
        syslog.openlog(tag, 0, code)
        syslog.syslog(syslog.LOG_NOTICE, text)
        syslog.closelog()
    if logfile:
        _append(logfile, f"{date} {tag}:    {text}\n")
    if not facility and not logfile:
        sys.stderr.write(f"{date}{text}\n")
    debuglog = env.get("HA_DEBUGLOG", "")
    if debuglog and debuglog != logfile:
        _append(debuglog, f"{tag}:\t{date}{text}\n")


def _append(path: str, line: str) -> None:
    with contextlib.suppress(OSError), open(path, "a", encoding="utf-8") as f:
        f.write(line)


def main(argv: list[str] | None = None) -> int:
    """hb_standby: 0 when the daemon accepted the standby request, else 1."""
    call = read_call("hb_standby", argv)
    if isinstance(call, int):
        return call
    prog, run_dir, word = call
    if word == "failback":
        word = "foreign"
    hold = RscHold(word)
    rc = send("hb_standby", run_dir, lambda client: client.standby(hold))
    if rc == 0:
        ha_log(os.path.basename(prog), f"Going standby [{word}].")
    return rc


if __name__ == "__main__":
    sys.exit(main())
