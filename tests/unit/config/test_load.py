"""load_config / check_config / `pyhb check`: files, local node, exit codes, samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pyhb.cli import check
from pyhb.config import (
    ConfigError,
    ConfigFileError,
    check_config,
    load_config,
    local_node_name,
)
from pyhb.config.model import AuthMethod, Bcast
from pyhb.config.validate import check_interfaces

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "etc" / "ha.d"
HACF = "bcast lo\nnode alpha beta\nauto_failback on\nlogfile /dev/null\n"


def write_confdir(root: Path, hacf: str = HACF, keys: str = "auth 1\n1 sha1 k\n",
                  res: str = "alpha Dummy::x\n", mode: int = 0o600) -> Path:  # fmt: skip
    root.mkdir(parents=True, exist_ok=True)
    (root / "ha.cf").write_text(hacf)
    (root / "authkeys").write_text(keys)
    (root / "authkeys").chmod(mode)
    (root / "haresources").write_text(res)
    scripts = root / "resource.d"
    scripts.mkdir(exist_ok=True)
    (scripts / "Dummy").write_text("#!/bin/sh\n")
    (scripts / "Dummy").chmod(0o755)
    return root


def test_load_config_builds_cluster_config(tmp_path: Path) -> None:
    """A valid directory loads into a ClusterConfig with the local node, keys and groups;
    CONFDIR/resource.d is searched by default."""
    confdir = write_confdir(tmp_path)
    config = load_config(confdir, "Alpha")
    assert config.local_node == "alpha"
    assert config.peers == ("beta",)
    assert config.ha.media == (Bcast("lo", 694, 1),)
    assert config.authkeys.outbound.method is AuthMethod.SHA1
    assert [g.key for g in config.groups] == ["Dummy::x"]
    assert config.confdir == confdir


def test_load_config_raises_with_every_issue(tmp_path: Path) -> None:
    """An invalid directory raises ConfigError carrying the problems of every file."""
    confdir = write_confdir(tmp_path, hacf=HACF + "keepalive 2s\n", res="gamma Dummy\n")
    with pytest.raises(ConfigError) as info:
        load_config(confdir, "alpha")
    assert not isinstance(info.value, ConfigFileError)
    assert [(Path(i.path).name, i.line) for i in info.value.issues] == [
        ("ha.cf", 5),
        ("haresources", 1),
    ]


def test_load_config_logs_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Warnings do not stop loading; they are logged."""
    confdir = write_confdir(tmp_path, hacf=HACF.replace("auto_failback on\n", ""))
    load_config(confdir, "alpha")
    assert "auto_failback is not set" in caplog.text


def test_missing_file_raises_config_file_error(tmp_path: Path) -> None:
    """A missing file is a ConfigFileError naming the path, other files still checked."""
    confdir = write_confdir(tmp_path, keys="auth 9\n")
    (confdir / "haresources").unlink()
    with pytest.raises(ConfigFileError) as info:
        check_config(confdir, "alpha")
    shown = [str(i) for i in info.value.issues]
    assert (
        f"{confdir}/haresources: error: cannot read {confdir}/haresources: "
        "No such file or directory" in shown
    )
    assert any("auth 9" in s for s in shown)


def test_local_node_from_nodeinfo_then_uname(tmp_path: Path) -> None:
    """The local node is the explicit name, else nodeinfo's first line, else uname -n."""
    import os

    assert local_node_name(tmp_path) == os.uname().nodename.lower()
    (tmp_path / "nodeinfo").write_text("  Beta \nignored\n")
    assert local_node_name(tmp_path) == "beta"
    assert local_node_name(tmp_path, "GAMMA") == "gamma"


def test_local_node_message_says_where_the_name_came_from(tmp_path: Path) -> None:
    """The not-listed error explains the name came from nodeinfo."""
    confdir = write_confdir(tmp_path)
    (confdir / "nodeinfo").write_text("gamma\n")
    issues = check_config(confdir, check_ifaces=False)
    assert [str(i) for i in issues] == [
        f"{confdir}/ha.cf:2: error: local node 'gamma' is not listed in a node directive "
        f"(nodes: alpha, beta); the local node name comes from {confdir}/nodeinfo"
    ]


def test_authkeys_permission_refusal_from_disk(tmp_path: Path) -> None:
    """A 0644 authkeys on disk is refused with its real path and mode."""
    confdir = write_confdir(tmp_path, mode=0o644)
    issues = check_config(confdir, "alpha", check_ifaces=False)
    path = f"{confdir}/authkeys"
    assert [str(i) for i in issues] == [
        f"{path}: error: bad permissions 0644 on {path}: the keys must not be readable by "
        f"group or others (run: chmod 600 {path})"
    ]


def test_missing_interfaces_are_warnings(tmp_path: Path) -> None:
    """Media on interfaces absent from this machine are warnings; existing ones are fine."""
    sys_net = tmp_path / "net"
    (sys_net / "eth0").mkdir(parents=True)
    from pyhb.config.hacf import parse_hacf

    ha, _ = parse_hacf("bcast eth0 eth0:1 eth9\nnode a\n", "ha.cf")
    assert [str(i) for i in check_interfaces(ha, "ha.cf", sys_net)] == [
        "ha.cf:1: warning: bcast: interface 'eth9' does not exist on this machine"
    ]


def test_check_reports_missing_interface_on_real_system(tmp_path: Path) -> None:
    """check_config looks interfaces up in /sys/class/net: lo exists, a made-up name not."""
    confdir = write_confdir(tmp_path, hacf=HACF.replace("bcast lo", "bcast lo pyhbnoif0"))
    issues = check_config(confdir, "alpha")
    assert [i.message for i in issues] == [
        "bcast: interface 'pyhbnoif0' does not exist on this machine"
    ]


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pyhb check` exits 0 when clean (warnings allowed), 1 on errors, 2 on unreadable files."""
    # pyhb check checks the media as the daemon would: lo has no broadcast address, but
    # ucast to 127.0.0.1 on lo can be set up anywhere
    hacf = HACF.replace("bcast lo", "ucast lo 127.0.0.1")
    good = write_confdir(tmp_path / "good", hacf=hacf.replace("auto_failback on\n", ""))
    assert check.main(["-c", str(good), "-n", "alpha"]) == 0
    assert capsys.readouterr().out.startswith(f"{good}/ha.cf: warning: auto_failback")
    bad = write_confdir(tmp_path / "bad", hacf=hacf, res="alpha Nope\n")
    assert check.main(["-c", str(bad), "-n", "alpha"]) == 1
    assert "resource script 'Nope' not found" in capsys.readouterr().out
    assert check.main(["-c", str(tmp_path / "absent")]) == 2
    assert check.main(["--bogus"]) == 2


def test_cli_sorts_by_file_then_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issues print grouped by file (ha.cf, authkeys, haresources) and by line within."""
    confdir = write_confdir(tmp_path, hacf="node alpha\nbogus\nucast lo 127.0.0.1\nkeepalive x\n",
                            keys="1 sha1 k\n", res="zed Dummy\n")  # fmt: skip
    assert check.main(["-c", str(confdir), "-n", "alpha"]) == 1
    lines = capsys.readouterr().out.splitlines()
    where = [line.split(": ", 1)[0].replace(f"{confdir}/", "") for line in lines]
    assert where == ["ha.cf", "ha.cf:2", "ha.cf:4", "authkeys", "haresources:1"]


def test_samples_parse(tmp_path: Path) -> None:
    """The annotated samples in etc/ha.d load (authkeys copied and chmod 600) without errors."""
    confdir = tmp_path / "ha.d"
    shutil.copytree(SAMPLES, confdir)
    (confdir / "authkeys").chmod(0o600)
    issues = check_config(confdir, "alpha", resource_dirs=[], check_ifaces=False)
    assert issues == []
    config = load_config(confdir, "beta", resource_dirs=[])
    assert config.ha.node == ("alpha", "beta")
    assert config.ha.deadtime == 10000
    assert config.groups == ()


def test_sample_haresources_examples_parse_when_uncommented() -> None:
    """The commented examples of the haresources sample are valid lines once uncommented."""
    from pyhb.config.haresources import parse_haresources

    text = (SAMPLES / "haresources").read_text()
    lines = [ln[1:] for ln in text.splitlines() if ln.startswith(("#alpha", "#beta", "#  "))]
    groups, issues = parse_haresources("\n".join(lines) + "\n", "haresources")
    assert issues == []
    assert [g.key for g in groups] == [
        "192.168.1.100/24/eth0",
        "IPaddr::192.168.1.100/24/eth0",
        "drbddisk::r0",
    ]
    assert [r.name for r in groups[2].resources] == [
        "drbddisk",
        "Filesystem",
        "IPaddr",
        "postgresql",
    ]
