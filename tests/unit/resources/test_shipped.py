"""pyhb.shipped: the one search path for resource scripts and where pyhb's own files are."""

from __future__ import annotations

from pathlib import Path

from pyhb import shipped


def _script(directory: Path, name: str, mode: int = 0o755) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return path


def test_find_script_searches_dirs_in_order(tmp_path: Path) -> None:
    """The first executable regular file wins; non-executables and directories are skipped."""
    first, second = tmp_path / "one", tmp_path / "two"
    _script(first, "plain", 0o644)
    (first / "adir").mkdir()
    winner = _script(second, "plain")
    _script(second, "adir")
    both = _script(first, "both")
    _script(second, "both")
    assert shipped.find_script("plain", [first, second]) == winner
    assert shipped.find_script("adir", [first, second]) == second / "adir"
    assert shipped.find_script("both", [first, second]) == both
    assert shipped.find_script("missing", [first, second]) is None
    assert shipped.find_script("../two/plain", [first]) is None


def test_resource_dirs_are_confdir_then_pyhbs_agents_then_init_d(tmp_path: Path) -> None:
    """CONFDIR/resource.d first, pyhb's own agents next, /etc/init.d last."""
    assert shipped.resource_dirs(tmp_path) == (
        tmp_path / "resource.d",
        shipped.data_root() / "resource.d",
        Path("/etc/init.d"),
    )


def test_the_checker_and_the_daemon_search_the_same_path(tmp_path: Path) -> None:
    """``pyhb check``/``heartbeat -t`` (config.load) and the daemon (daemon.paths) agree."""
    from pyhb.config import load
    from pyhb.daemon.paths import Paths

    (tmp_path / "resource.d").mkdir()
    assert load.default_resource_dirs(tmp_path) == shipped.resource_dirs(tmp_path)
    daemon = Paths(confdir=tmp_path).resource_dirs()
    assert daemon == tuple(d for d in shipped.resource_dirs(tmp_path) if d.is_dir())


def test_every_agent_pyhb_knows_by_name_is_shipped() -> None:
    """The agents ``pyhb.agents.names`` lists (built in or with checked arguments) are in
    pyhb's own resource.d, so the search path finds them without a site copy."""
    from pyhb.agents import names

    for name in {*names.BUILTIN, *names.CHECKED}:
        assert shipped.find_script(name, [shipped.agent_dir()]) is not None, name
