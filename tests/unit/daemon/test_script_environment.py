"""The environment resource scripts get from the daemon (Heartbeat's children inherit it)."""

from __future__ import annotations

import pytest

from pyhb.daemon.paths import Paths
from pyhb.daemon.scriptenv import script_environment
from pyhb.resources.process import script_env
from tests.helpers.sim import make_config


def test_scripts_inherit_the_daemons_environment_with_ha_variables_on_top(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A site's variable (e.g. OCF_AGENTS for the package's OCF wrapper, set through the
    unit's EnvironmentFile) reaches the scripts as under Heartbeat 3.0.6; the daemon's own
    HA_* values win over inherited ones, and PATH keeps the system directories."""
    monkeypatch.setenv("OCF_AGENTS", "/usr/lib/ocf/resource.d")
    monkeypatch.setenv("HA_CURHOST", "stale")
    monkeypatch.setenv("PATH", "/opt/site/bin")
    env = script_env(script_environment(make_config("a"), Paths()))
    assert env["OCF_AGENTS"] == "/usr/lib/ocf/resource.d"
    assert env["HA_CURHOST"] == "a"
    assert env["HA_DIR"] == "/etc/ha.d"
    assert env["OCF_ROOT"] == "/usr/lib/ocf"
    path = env["PATH"].split(":")
    assert path[0] == "/opt/site/bin"
    assert "/usr/bin" in path
