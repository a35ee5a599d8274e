"""``pyhb demo`` runs end to end and leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.netns


def _namespaces() -> str:
    return subprocess.run(
        ["ip", "netns", "list"], check=False, capture_output=True, text=True
    ).stdout


def test_demo_fails_over_and_cleans_up(netns_ready: None) -> None:
    before = _namespaces()
    res = subprocess.run(
        [sys.executable, "-m", "pyhb.cli.tool", "demo"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "[a] cl_status nodestatus b: active" in out
    assert "[b] cl_status nodestatus a: active" in out
    assert "WARN: node a: is dead" in out
    assert "owners now: a" in out
    for row in ("kill -9 a -> VIP up on b", "a started -> VIP back on a", "stop a -> VIP up on b"):
        assert row in out
    assert _namespaces() == before
