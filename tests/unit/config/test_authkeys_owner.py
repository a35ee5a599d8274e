"""An authkeys file owned by anyone but root (or the user running pyhb) is refused: its
owner could change the keys whatever its mode says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyhb.config import ConfigError, check_config, load_config
from pyhb.config.authkeys import owner_issue

from .test_load import write_confdir


@pytest.mark.parametrize(("uid", "euid"), [(0, 0), (0, 1000), (1000, 1000)])
def test_keys_of_root_or_of_the_user_running_pyhb_are_accepted(uid: int, euid: int) -> None:
    assert owner_issue("/etc/ha.d/authkeys", uid, euid) is None


def test_keys_of_another_user_are_refused_naming_owner_and_fix() -> None:
    issue = owner_issue("/etc/ha.d/authkeys", 65534, 0)
    assert issue is not None
    assert str(issue) == (
        "/etc/ha.d/authkeys: error: /etc/ha.d/authkeys belongs to uid 65534: the keys must "
        "belong to root, as whoever owns the file can change them "
        "(run: chown root: /etc/ha.d/authkeys)"
    )
    other = owner_issue("/etc/ha.d/authkeys", 65534, 1000)
    assert other is not None
    assert "must belong to root or uid 1000" in str(other)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_a_foreign_authkeys_on_disk_is_refused_by_check_and_load(tmp_path: Path) -> None:
    confdir = write_confdir(tmp_path)
    keys = confdir / "authkeys"
    os.chown(keys, 65534, 65534)
    issues = check_config(confdir, "alpha", check_ifaces=False)
    assert [str(i) for i in issues] == [
        f"{keys}: error: {keys} belongs to uid 65534: the keys must belong to root, as "
        f"whoever owns the file can change them (run: chown root: {keys})"
    ]
    with pytest.raises(ConfigError, match="belongs to uid 65534"):
        load_config(confdir, "alpha", resource_dirs=[confdir / "resource.d"])
    os.chown(keys, 0, 0)
    assert check_config(confdir, "alpha", check_ifaces=False) == []
