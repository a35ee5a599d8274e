"""``pyhb install``: copies pyhb's system files below a root, never overwriting anything."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pyhb.cli import install

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def src(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source tree with the real init script and unit plus sample files and one agent."""
    tree = tmp_path / "src"
    (tree / "etc/init.d").mkdir(parents=True)
    (tree / "etc/systemd").mkdir()
    (tree / "etc/ha.d").mkdir()
    (tree / "resource.d").mkdir()
    for rel in ("etc/init.d/heartbeat", "etc/systemd/heartbeat.service"):
        (tree / rel).write_bytes((REPO / rel).read_bytes())
    (tree / "etc/ha.d/ha.cf").write_text("node a\nnode b\n")
    (tree / "etc/ha.d/authkeys").write_text("auth 1\n1 sha1 secret\n")
    agent = tree / "resource.d/IPaddr"
    agent.write_text('#!/bin/sh\nexec python3 -m pyhb.agents.ipaddr "$@"\n')
    agent.chmod(0o755)
    monkeypatch.setattr(install.shipped, "data_root", lambda: tree)
    return tree


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_puts_every_file_in_place(
    src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Init script 0755, unit with the real command path, agents, samples (authkeys 0600)."""
    root = tmp_path / "root"
    assert install.main(["--prefix-root", str(root)]) == 0
    assert _mode(root / "etc/init.d/heartbeat") == 0o755
    unit = (root / "etc/systemd/system/heartbeat.service").read_text()
    heartbeat = install.command_path("heartbeat")
    assert f"ExecStart={heartbeat} -f\n" in unit
    assert f"ExecStop={heartbeat} -k\n" in unit
    assert "@HEARTBEAT@" not in unit
    init = (root / "etc/init.d/heartbeat").read_text()
    assert f'INSTALLED_HEARTBEAT="{heartbeat}"\n' in init
    assert _mode(root / "etc/ha.d/resource.d/IPaddr") == 0o755
    assert _mode(root / "etc/ha.d/authkeys") == 0o600
    assert (root / "etc/ha.d/ha.cf").read_text() == "node a\nnode b\n"
    assert (root / "usr/share/heartbeat/hb_standby").is_symlink()
    assert "skipped" not in capsys.readouterr().out


def test_second_install_overwrites_nothing(
    src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A re-run skips every existing file and says so; a user's edits survive."""
    root = tmp_path / "root"
    assert install.main(["--prefix-root", str(root)]) == 0
    (root / "etc/ha.d/ha.cf").write_text("# mine\n")
    (root / "etc/init.d/heartbeat").write_text("# local init\n")
    capsys.readouterr()
    assert install.main(["--prefix-root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines
    assert all(line.startswith("skipped ") and line.endswith(" (exists)") for line in lines)
    assert (root / "etc/ha.d/ha.cf").read_text() == "# mine\n"
    assert (root / "etc/init.d/heartbeat").read_text() == "# local init\n"


def test_force_replaces_only_pyhb_owned_files(src: Path, tmp_path: Path) -> None:
    """--force refreshes the init script and unit but keeps configuration and agents."""
    root = tmp_path / "root"
    install.main(["--prefix-root", str(root)])
    (root / "etc/init.d/heartbeat").write_text("# old\n")
    (root / "etc/ha.d/resource.d/IPaddr").write_text("# user agent\n")
    assert install.main(["--prefix-root", str(root), "--force"]) == 0
    heartbeat = install.command_path("heartbeat")
    expected = (src / "etc/init.d/heartbeat").read_text().replace("@HEARTBEAT@", heartbeat)
    assert (root / "etc/init.d/heartbeat").read_text() == expected
    assert (root / "etc/ha.d/resource.d/IPaddr").read_text() == "# user agent\n"


def test_dry_run_writes_nothing(
    src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dry-run only reports what it would do."""
    root = tmp_path / "root"
    assert install.main(["--prefix-root", str(root), "--dry-run"]) == 0
    assert not root.exists()
    assert "would install " in capsys.readouterr().out


def test_installed_pyhb_carries_every_shipped_file() -> None:
    """pyhb as imported (the wheel under ./run test) has the checkout's resource.d/, etc/
    and man/ byte for byte, with the same executable bits."""
    from pyhb import shipped

    data = shipped.data_root()
    assert "@HEARTBEAT@ -f" in (data / "etc/systemd/heartbeat.service").read_text()
    for top in shipped.SHIPPED_DIRS:
        for src in sorted((REPO / top).rglob("*")):
            if not src.is_file():
                continue
            got = data / src.relative_to(REPO)
            assert got.read_bytes() == src.read_bytes(), got
            assert os.access(got, os.X_OK) == os.access(src, os.X_OK), got
