"""Locating resource scripts and refusing unsafe ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyhb.resources.locate import (
    ScriptNotFound,
    ScriptRefused,
    locate,
)
from pyhb.shipped import agent_dir, resource_dirs

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")


def _script(d: Path, name: str, mode: int = 0o755) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o755)
    p = d / name
    p.write_text("#!/bin/sh\nexit 0\n")
    p.chmod(mode)
    return p


def test_first_directory_wins(tmp_path: Path) -> None:
    """A script in an earlier directory shadows one of the same name later."""
    first = _script(tmp_path / "a", "svc")
    _script(tmp_path / "b", "svc")
    assert locate("svc", [tmp_path / "a", tmp_path / "b"], enforce_owner=False) == first


def test_later_directory_used_when_earlier_lacks_the_script(tmp_path: Path) -> None:
    """Missing in resource.d falls through to the next directory (e.g. /etc/init.d)."""
    (tmp_path / "a").mkdir()
    second = _script(tmp_path / "b", "svc")
    assert locate("svc", [tmp_path / "a", tmp_path / "b"], enforce_owner=False) == second


def test_non_executable_and_directories_are_skipped(tmp_path: Path) -> None:
    """Only regular executable files count, as heartbeat's ``[ -f -a -x ]`` test."""
    _script(tmp_path / "a", "svc", mode=0o644)
    (tmp_path / "b" / "svc").mkdir(parents=True)
    third = _script(tmp_path / "c", "svc")
    dirs = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    assert locate("svc", dirs, enforce_owner=False) == third


def test_missing_script_raises_not_found(tmp_path: Path) -> None:
    """No match anywhere is ScriptNotFound with heartbeat's wording."""
    with pytest.raises(ScriptNotFound, match="Cannot locate resource script nosuch"):
        locate("nosuch", [tmp_path], enforce_owner=False)


@pytest.mark.parametrize("name", ["../bin/sh", "a/b", "..", "x..y", ""])
def test_names_that_escape_the_directory_are_refused(tmp_path: Path, name: str) -> None:
    """Names with ``/`` or ``..`` never reach the filesystem."""
    with pytest.raises(ScriptRefused):
        locate(name, [tmp_path], enforce_owner=False)


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_group_or_other_writable_script_is_refused(tmp_path: Path, mode: int) -> None:
    """A script writable by group or other is refused when ownership is enforced."""
    _script(tmp_path / "a", "svc", mode=mode)
    with pytest.raises(ScriptRefused, match="writable by group or other"):
        locate("svc", [tmp_path / "a"], enforce_owner=True)


def test_writable_directory_is_refused(tmp_path: Path) -> None:
    """A safe script inside a world-writable directory is refused too."""
    _script(tmp_path / "a", "svc")
    (tmp_path / "a").chmod(0o777)
    with pytest.raises(ScriptRefused, match="directory"):
        locate("svc", [tmp_path / "a"], enforce_owner=True)


@needs_root
def test_script_not_owned_by_root_is_refused(tmp_path: Path) -> None:
    """A script owned by another user is refused."""
    p = _script(tmp_path / "a", "svc")
    os.chown(p, 1000, 1000)
    with pytest.raises(ScriptRefused, match="uid 1000"):
        locate("svc", [tmp_path / "a"], enforce_owner=True)


def test_refused_first_match_does_not_fall_through(tmp_path: Path) -> None:
    """An unsafe script is refused rather than silently replaced by a later one."""
    _script(tmp_path / "a", "svc", mode=0o777)
    _script(tmp_path / "b", "svc")
    with pytest.raises(ScriptRefused):
        locate("svc", [tmp_path / "a", tmp_path / "b"], enforce_owner=True)


@needs_root
def test_safe_root_owned_script_passes_enforcement(tmp_path: Path) -> None:
    """A root-owned 0755 script in a root-owned 0755 directory is accepted."""
    p = _script(tmp_path / "a", "svc")
    assert locate("svc", [tmp_path / "a"], enforce_owner=True) == p


def test_default_dirs_are_confdir_then_pyhb_then_initd(tmp_path: Path) -> None:
    """The search path is CONFDIR/resource.d, pyhb's resource.d, /etc/init.d."""
    dirs = resource_dirs(tmp_path)
    assert dirs == (tmp_path / "resource.d", agent_dir(), Path("/etc/init.d"))


def test_pyhb_agent_dir_holds_the_shipped_agents() -> None:
    """In a source tree pyhb's resource.d is found and holds its executables."""
    d = agent_dir()
    for name in ("IPaddr", "IPaddr2", "SendArp", "Filesystem", "drbddisk", "Delay"):
        assert locate(name, [d], enforce_owner=False) == d / name
