"""``ocf:pyhb:haresource`` runs a Heartbeat v1 script with its ``::`` arguments and maps
start/stop/status onto OCF exit codes, as pyhb ships it."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pyhb.shipped import data_root

AGENT = data_root() / "ocf" / "pyhb" / "haresource"
OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCF_NOT_RUNNING = 0, 1, 5, 7

SCRIPT = """\
#!/bin/sh
# A v1 resource script: state in a file, logs its arguments.
state="$STATE_DIR/on"
echo "$# $*" >> "$STATE_DIR/calls"
eval "action=\\${$#}"
case $action in
    start) [ -e "$STATE_DIR/fail-start" ] && exit 1; touch "$state" ;;
    stop) rm -f "$state" ;;
    status) if [ -e "$state" ]; then echo "service is running"
            else echo "service is not running"; fi ;;
esac
exit 0
"""


def _agent(action: str, tmp_path: Path, **params: str) -> int:
    env = {**os.environ, "STATE_DIR": str(tmp_path), "HA_RSCTMP": str(tmp_path)}
    env |= {f"OCF_RESKEY_{k}": v for k, v in params.items()}
    return subprocess.run(
        ["sh", str(AGENT), action], env=env, capture_output=True, timeout=20, check=False
    ).returncode


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.write_text(SCRIPT)
    path.chmod(0o755)
    return path


def test_agent_is_shipped_executable_with_valid_metadata() -> None:
    assert os.access(AGENT, os.X_OK)
    out = subprocess.run([str(AGENT), "meta-data"], capture_output=True, text=True, check=True)
    meta = ET.fromstring(out.stdout)  # noqa: S314 - our own output
    assert meta.get("name") == "haresource"
    assert {p.get("name") for p in meta.iter("parameter")} == {"script", "args"}
    assert {"start", "stop", "monitor"} <= {a.get("name") for a in meta.iter("action")}


def test_start_monitor_stop_pass_the_haresources_arguments(script: Path, tmp_path: Path) -> None:
    params = {"script": str(script), "args": "one::::two words"}
    assert _agent("monitor", tmp_path, **params) == OCF_NOT_RUNNING
    assert _agent("start", tmp_path, **params) == OCF_SUCCESS
    assert _agent("monitor", tmp_path, **params) == OCF_SUCCESS
    assert _agent("stop", tmp_path, **params) == OCF_SUCCESS
    assert _agent("monitor", tmp_path, **params) == OCF_NOT_RUNNING
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[:2] == ["4 one  two words status", "4 one  two words start"]


def test_failed_start_and_missing_script(script: Path, tmp_path: Path) -> None:
    (tmp_path / "fail-start").touch()
    assert _agent("start", tmp_path, script=str(script)) == OCF_ERR_GENERIC
    missing = str(tmp_path / "absent")
    assert _agent("start", tmp_path, script=missing) == OCF_ERR_INSTALLED
    assert _agent("monitor", tmp_path, script=missing) == OCF_NOT_RUNNING  # a probe
    assert _agent("stop", tmp_path, script=missing) == OCF_SUCCESS
