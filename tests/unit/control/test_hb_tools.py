"""hb_standby / hb_takeover: 3.0.6's argument errors, and requests over the control socket."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyhb.cli import hb_standby, hb_takeover
from pyhb.core.events import RscHold, Standby, Takeover

from .conftest import ServerThread

DATA = Path(__file__).resolve().parents[2] / "data" / "cli"
TOOLS = {"hb_standby": hb_standby.main, "hb_takeover": hb_takeover.main}


def _arg_cases() -> list[tuple[str, list[str], int, str, str]]:
    cases = []
    text = (DATA / "hb_tools_args.txt").read_text()
    for block in re.split(r"^== ", text, flags=re.M)[1:]:
        head, *lines = block.splitlines()
        m = re.fullmatch(r"(\S+) (.*) -> exit (\d+)", head)
        assert m is not None
        out = "".join(f"{ln[8:-1]}\n" for ln in lines if ln.startswith("stdout"))
        err = "".join(f"{ln[8:-1]}\n" for ln in lines if ln.startswith("stderr"))
        cases.append((m.group(1), m.group(2).split(), int(m.group(3)), out, err))
    return cases


@pytest.mark.parametrize(("tool", "args", "code", "out", "err"), _arg_cases())
def test_argument_errors_match_the_real_scripts(
    tool: str,
    args: list[str],
    code: int,
    out: str,
    err: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Too many / wrong / --help print the scripts' stdout and stderr lines and exit 1."""
    monkeypatch.setattr(sys, "argv", [f"/usr/share/heartbeat/{tool}", *args])
    assert TOOLS[tool](args) == code
    assert capsys.readouterr() == (out, err)


@pytest.mark.parametrize(
    ("tool", "args", "command"),
    [
        ("hb_standby", [], Standby(RscHold.ALL)),
        ("hb_standby", ["local"], Standby(RscHold.LOCAL)),
        ("hb_standby", ["failback"], Standby(RscHold.FOREIGN)),
        ("hb_takeover", [], Takeover(RscHold.ALL)),
        ("hb_takeover", ["foreign"], Takeover(RscHold.FOREIGN)),
        ("hb_takeover", ["failback"], Takeover(RscHold.LOCAL)),
    ],
)
def test_accepted_request_reaches_the_engine_and_exits_0(
    served: ServerThread,
    tool: str,
    args: list[str],
    command: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each word maps to its engine command (takeover failback = ask for local, not all)."""
    assert TOOLS[tool](["--run-dir", str(served.run_dir), *args]) == 0
    assert served.target.commands == [command]
    assert capsys.readouterr().out == ""


def test_standby_logs_going_standby_like_ha_log(
    served: ServerThread, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without HA_LOGFILE the line goes to stderr as ``<Mon DD HH:MM:SS >Going standby [SET].``."""
    for var in ("HA_LOGFILE", "HA_LOGFACILITY", "HA_DEBUGLOG", "HA_LOGTAG"):
        monkeypatch.delenv(var, raising=False)
    assert hb_standby.main(["--run-dir", str(served.run_dir), "failback"]) == 0
    err = capsys.readouterr().err
    assert re.fullmatch(r"[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d Going standby \[foreign\]\.\n", err)


def test_standby_log_goes_to_ha_logfile_when_set(
    served: ServerThread,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With HA_LOGFILE set the line is appended there with the script's tag, not on stderr."""
    logfile = tmp_path / "ha-log"
    monkeypatch.setenv("HA_LOGFILE", str(logfile))
    monkeypatch.delenv("HA_LOGFACILITY", raising=False)
    monkeypatch.delenv("HA_DEBUGLOG", raising=False)
    monkeypatch.setattr(sys, "argv", ["/usr/share/heartbeat/hb_standby"])
    assert hb_standby.main(["--run-dir", str(served.run_dir)]) == 0
    assert capsys.readouterr().err == ""
    assert re.fullmatch(
        r"\w{3} \d\d \d\d:\d\d:\d\d  hb_standby\(default\)\[\d+\]:    Going standby \[all\]\.\n",
        logfile.read_text(),
    )


def test_refusal_from_daemon_is_printed_and_exits_1(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refusal reason from the engine reaches stderr verbatim, exit 1, no log line."""
    served.target.refusal = "auto_failback is legacy: standby is not supported"
    assert hb_takeover.main(["--run-dir", str(served.run_dir)]) == 1
    assert capsys.readouterr() == (
        "",
        "hb_takeover: auto_failback is legacy: standby is not supported\n",
    )


def test_non_root_is_stopped_locally(
    served: ServerThread, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-root caller gets the permission message at once and nothing is sent."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert hb_standby.main(["--run-dir", str(served.run_dir)]) == 1
    assert capsys.readouterr().err == (
        "hb_standby: permission denied: only root may change cluster state\n"
    )
    assert served.target.commands == []


@pytest.mark.parametrize("tool", ["hb_standby", "hb_takeover"])
def test_daemon_down_exits_fast_with_message(tool: str, tmp_path: Path) -> None:
    """With no daemon the tool says so and exits 1 well under 2 s (3.0.6 hangs:
    docs/protocol.md#dep-tools)."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", f"pyhb.cli.{tool}", "all"],
        env={**os.environ, "PYHB_RUN_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert time.monotonic() - start < 2.0
    assert proc.returncode == 1
    assert proc.stderr == (
        f"{tool}: heartbeat is not running (no control socket at {tmp_path}/pyhb.sock)\n"
    )
