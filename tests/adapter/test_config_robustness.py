"""Configuration and environment problems through the real entry points: ``heartbeat -t``,
``heartbeat -f`` and ``pyhb check`` each name the file and line (or the path) and exit with
their status for it; none of them ever prints a Python traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import pyhb

NODE = os.uname().nodename.lower()
HACF = f"keepalive 1\ndeadtime 5\nucast lo 127.0.0.1\nauto_failback on\nnode {NODE} peer\n"


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Path], None]
    message: str  # expected in the output of all three; {conf} is the config directory
    check_exit: int  # pyhb check's status (heartbeat -t/-f: 6)


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def setup(conf: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (conf / name).write_bytes(data)

    return setup


def _append_hacf(text: str) -> Callable[[Path], None]:
    return _write("ha.cf", HACF + text)


def _fifo(name: str) -> Callable[[Path], None]:
    def setup(conf: Path) -> None:
        (conf / name).unlink()
        os.mkfifo(conf / name)

    return setup


def _dev_zero(name: str) -> Callable[[Path], None]:
    def setup(conf: Path) -> None:
        (conf / name).unlink()
        (conf / name).symlink_to("/dev/zero")

    return setup


def _huge(name: str) -> Callable[[Path], None]:
    def setup(conf: Path) -> None:
        with (conf / name).open("ab") as handle:
            handle.truncate(2 << 20)

    return setup


def _remove(name: str) -> Callable[[Path], None]:
    return lambda conf: (conf / name).unlink()


def _chmod(name: str, mode: int) -> Callable[[Path], None]:
    return lambda conf: (conf / name).chmod(mode)


CASES = [
    Case("hacf-fifo", _fifo("ha.cf"), "{conf}/ha.cf: error: cannot read {conf}/ha.cf: "
         "not a regular file (a FIFO)", 2),
    Case("authkeys-dev-zero", _dev_zero("authkeys"), "{conf}/authkeys: error: cannot read "
         "{conf}/authkeys: not a regular file (a character device)", 2),
    Case("haresources-huge", _huge("haresources"), "{conf}/haresources: error: cannot read "
         "{conf}/haresources: file is too large (2097152 bytes; the limit is 1048576 bytes)", 2),
    Case("hacf-missing", _remove("ha.cf"), "{conf}/ha.cf: error: cannot read {conf}/ha.cf: "
         "No such file or directory", 2),
    Case("authkeys-mode", _chmod("authkeys", 0o644), "{conf}/authkeys: error: bad permissions "
         "0644", 1),
    Case("bad-utf8", _append_hacf("keepalive \xff\n"), "{conf}/ha.cf:6: error: keepalive: "
         "invalid time value", 1),
    Case("missing-interface", _append_hacf("bcast pyhbnoif9\n"), "{conf}/ha.cf:6: error: "
         "bcast pyhbnoif9: interface [pyhbnoif9] does not exist", 1),
    Case("bad-interface-name", _append_hacf("bcast ../../x\n"), "{conf}/ha.cf:6: error: "
         "bcast: invalid interface name '../../x'", 1),
    Case("no-broadcast", _append_hacf("bcast lo\n"), "{conf}/ha.cf:6: error: bcast lo: "
         "interface [lo] has no IPv4 broadcast address", 1),
    Case("bad-port", _append_hacf("mcast lo 239.0.0.1 99999 1 0\n"), "{conf}/ha.cf:6: error: "
         "mcast: port 99999 is out of range", 1),
    Case("missing-script", _write("haresources", "peer NoSuchScript\n"),
         "{conf}/haresources:1: error: resource script 'NoSuchScript' not found", 1),
    Case("unsafe-script", _write("haresources", "peer ../../bin/sh\n"),
         "{conf}/haresources:1: error: resource name '../../bin/sh' is refused", 1),
    Case("ipaddr-superscript", _write("haresources", "peer IPaddr::10.0.0.1/²/lo\n"),
         "{conf}/haresources:1: error: IPaddr::10.0.0.1/²/lo: invalid netmask '²'", 1),
    Case("continued-line", _write("haresources", "peer 10.0.0.1 \\\n  Delay::soon\n"),
         "{conf}/haresources:2: error: Delay::soon: delay 'soon' is not a number", 1),
    Case("filesystem", _write("haresources", "peer Filesystem::/dev/sdz1::data\n"),
         "{conf}/haresources:1: error: Filesystem::/dev/sdz1::data: the mount point 'data'", 1),
    Case("unknown-node", _write("haresources", "nobody Delay\n"),
         "{conf}/haresources:1: error: node 'nobody' is not a configured node", 1),
]  # fmt: skip


def _confdir(tmp_path: Path, case: Case) -> Path:
    conf = tmp_path / "ha.d"
    conf.mkdir()
    (conf / "ha.cf").write_text(HACF)
    (conf / "authkeys").write_text("auth 1\n1 sha1 secret\n")
    (conf / "authkeys").chmod(0o600)
    (conf / "haresources").write_text("peer Delay\n")
    case.setup(conf)
    return conf


def _run(args: list[str]) -> tuple[int, str]:
    res = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=30, check=False
    )
    return res.returncode, res.stdout + res.stderr


def _heartbeat(tmp_path: Path, conf: Path, flag: str) -> tuple[int, str]:
    return _run(["pyhb.cli.heartbeat", flag, "--confdir", str(conf),
                 "--statedir", str(tmp_path / "state"), "--rundir", str(tmp_path / "run"),
                 "--pidfile", str(tmp_path / "heartbeat.pid")])  # fmt: skip


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_entry_point_names_the_problem_without_a_traceback(
    tmp_path: Path, case: Case
) -> None:
    conf = _confdir(tmp_path, case)
    message = case.message.format(conf=conf)
    results = {
        "heartbeat -t": (_heartbeat(tmp_path, conf, "-t"), 6),
        "heartbeat -f": (_heartbeat(tmp_path, conf, "-f"), 6),
        "pyhb check": (_run(["pyhb.cli.tool", "check", "-c", str(conf), "-n", NODE]),
                       case.check_exit),
    }  # fmt: skip
    for entry, ((code, out), expected) in results.items():
        assert "Traceback" not in out, (entry, out)
        assert message in out, (entry, out)
        assert code == expected, (entry, out)
    assert "Configuration error, heartbeat not started." in results["heartbeat -f"][0][1]
    assert not (tmp_path / "heartbeat.pid").exists()


@pytest.mark.parametrize(
    ("option", "make", "message"),
    [
        ("--pidfile", "dir", "ERROR: heartbeat not started: cannot write pid file {p}: Is a "
         "directory"),
        ("--rundir", "file", "ERROR: heartbeat not started: [Errno 20] Not a directory:"),
    ],
)  # fmt: skip
def test_an_unusable_daemon_directory_is_an_error_line_not_a_traceback(
    tmp_path: Path, option: str, make: str, message: str
) -> None:
    """Found before any socket is opened: exit 1 with the path, in the foreground and
    detached (the starting shell gets the line)."""
    conf = _confdir(tmp_path, Case("ok", lambda conf: None, "", 0))
    target = tmp_path / "target"
    if make == "dir":
        target.mkdir()
    else:
        target.write_text("")
    for flags in (["-f"], []):
        args = ["pyhb.cli.heartbeat", *flags, "--confdir", str(conf),
                "--statedir", str(tmp_path / "state"), "--rundir", str(tmp_path / "run"),
                "--pidfile", str(tmp_path / "heartbeat.pid"), option, str(target)]  # fmt: skip
        code, out = _run(args)
        assert "Traceback" not in out, out
        assert message.format(p=target) in out, out
        assert code == 1, out


def test_version_flags() -> None:
    code, out = _run(["pyhb.cli.tool", "--version"])
    assert (code, out) == (0, f"pyhb {pyhb.__version__} (heartbeat 3.0.6 compatible)\n")
    code, out = _run(["pyhb.cli.heartbeat", "-V"])
    assert (code, out) == (0, f"3.0.6 (pyhb {pyhb.__version__})\n")
