"""A reload hands event scripts the new directives, as it does resource scripts."""

from __future__ import annotations

import shutil
from pathlib import Path

from pyhb.clock import Instant
from pyhb.config import load_config
from pyhb.daemon.app import Daemon
from pyhb.daemon.paths import Paths
from pyhb.daemon.rcscripts import EventScripts, Scripts
from pyhb.daemon.scriptenv import script_environment

GOOD = Path(__file__).parents[2] / "data" / "configs" / "good" / "two_node_bcast"


class _Engine:
    def reconfigure(self, config: object, now: Instant) -> None:
        pass


class _Transport:
    def now(self) -> Instant:
        return Instant(0.0, 0.0)

    def kick(self) -> None:
        pass


def test_a_reload_gives_event_scripts_the_new_directives(tmp_path: Path) -> None:
    confdir = tmp_path / "ha.d"
    shutil.copytree(GOOD, confdir)
    (confdir / "authkeys").chmod(0o600)
    (confdir / "haresources").write_text("alpha 10.0.0.100/24/eth0\n")
    paths = Paths(confdir=confdir, statedir=tmp_path / "state", rundir=tmp_path / "run")
    config = load_config(confdir, "alpha")
    daemon = Daemon(config, paths)
    daemon.engine = _Engine()  # type: ignore[assignment]
    daemon.transport = _Transport()  # type: ignore[assignment]
    env = script_environment(config, paths)
    daemon.rcd = EventScripts(confdir, Scripts(), env, {}, lambda: "up")
    assert daemon.rcd.base_env["HA_keepalive"] == "1"
    hacf = confdir / "ha.cf"
    hacf.write_text(hacf.read_text().replace("keepalive 1", "keepalive 2"))
    assert daemon.reload() is None
    assert daemon.rcd.base_env["HA_keepalive"] == "2"
