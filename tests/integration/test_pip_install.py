"""pyhb as a plain ``pip install`` gives it: a fresh venv, the checkout installed from a
wheel (not editable), nothing else of pyhb on the machine.

The venv is made once per module from a copy of the checkout's tracked files, so a file
the build forgets (an agent, the init script, a sample) is missing here as it would be for
a user. Every command runs the venv's own entry points from a directory outside the
checkout, with no PYTHONPATH, so nothing is taken from the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyhb.lab.cluster import VIP, Cluster, wait_for
from pyhb.lab.netns import IFACE, Lab

REPO = Path(__file__).resolve().parents[2]
AGENT_LINE = (
    "node1 IPaddr::10.0.0.50/24/lo IPaddr2::10.0.0.51/24/lo SendArp::10.0.0.50/lo "
    "Filesystem::/dev/sdb1::/data::ext4 drbddisk::r0 Delay::1::1\n"
)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONSAFEPATH"] = "1"
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with ``pip install <copy of the checkout>`` (dependencies from the index)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to copy its tracked files")
    base = tmp_path_factory.mktemp("pip-install")
    tree = base / "src"
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for rel in filter(None, files):
        src = REPO / os.fsdecode(rel)
        if src.is_file():
            dest = tree / os.fsdecode(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    env = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    subprocess.run(
        [str(env / "bin/python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         str(tree)],
        check=True, env=_clean_env(), cwd=base, timeout=600,
    )  # fmt: skip
    shutil.rmtree(tree)  # the install must not need the tree it was built from
    return env


def _run(venv: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(venv / "bin" / argv[0]), *argv[1:]]
    return subprocess.run(
        cmd, capture_output=True, text=True, cwd=cwd, env=_clean_env(), check=False
    )


def test_pyhb_comes_from_the_venv_with_its_agents(venv: Path, tmp_path: Path) -> None:
    """The venv's pyhb is the installed package, carrying its own agents."""
    res = _run(
        venv, "python", "-c",
        "import pyhb, pyhb.shipped as s; print(pyhb.__file__); print(s.agent_dir())",
        cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    module, agents = res.stdout.splitlines()
    assert module.startswith(str(venv)), module
    assert Path(agents).is_relative_to(venv)
    names = {p.name for p in Path(agents).iterdir() if os.access(p, os.X_OK)}
    assert {"IPaddr", "IPaddr2", "SendArp", "Filesystem", "drbddisk", "Delay"} <= names


def test_pyhb_install_puts_the_system_files_in_place(venv: Path, tmp_path: Path) -> None:
    """``pyhb install --prefix-root DIR`` works from the wheel alone and names the venv."""
    root = tmp_path / "root"
    res = _run(venv, "pyhb", "install", "--prefix-root", str(root), cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    daemon = venv / "bin/heartbeat"
    assert f'INSTALLED_HEARTBEAT="{daemon}"' in (root / "etc/init.d/heartbeat").read_text()
    unit = (root / "etc/systemd/system/heartbeat.service").read_text()
    assert f"ExecStart={daemon} -f" in unit
    for name in ("IPaddr", "IPaddr2", "SendArp", "Filesystem", "drbddisk", "Delay"):
        assert os.access(root / "etc/ha.d/resource.d" / name, os.X_OK), name
    assert f"${{PYHB_PYTHON:-{venv}/bin/python" in (root / "etc/ha.d/resource.d/IPaddr").read_text()
    for name in ("ha.cf", "haresources", "authkeys"):
        assert (root / "etc/ha.d" / name).is_file()
    assert (root / "usr/share/heartbeat/hb_standby").resolve() == (venv / "bin/hb_standby")
    # The installed copy of pyhb's IPaddr runs under the venv's Python from any PATH.
    env = _clean_env()
    env["PATH"] = "/usr/bin:/bin"
    status = subprocess.run(
        [str(root / "etc/ha.d/resource.d/IPaddr"), "10.254.254.254/32/lo", "status"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert "No module named" not in status.stderr, status.stderr
    assert "Resource is stopped" in status.stdout, status.stdout + status.stderr


def test_heartbeat_t_accepts_every_builtin_agent(venv: Path, tmp_path: Path) -> None:
    """``heartbeat -t`` on a haresources using every built-in agent, with no resource.d of
    the configuration's own: the package's agents are found."""
    conf = tmp_path / "ha.d"
    conf.mkdir()
    (conf / "ha.cf").write_text("keepalive 1\ndeadtime 10\nucast lo 127.0.0.1\nnode node1 node2\n")
    keys = conf / "authkeys"
    keys.write_text("auth 1\n1 sha1 secret\n")
    keys.chmod(0o600)
    (conf / "haresources").write_text(AGENT_LINE)
    res = _run(venv, "heartbeat", "-t", "--confdir", str(conf), "--node", "node1", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    check = _run(venv, "pyhb", "check", "-c", str(conf), "--node", "node1", cwd=tmp_path)
    assert "error" not in check.stdout, check.stdout
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.fixture
def venv_cluster(venv: Path, make_lab: Callable[..., Lab]) -> Iterator[Cluster]:
    lab = make_lab(("a", "b"), seed_from_host=False)
    cluster = Cluster(
        lab, python=str(venv / "bin/python"), daemon=[str(venv / "bin/heartbeat"), "-f"],
        resources=f"{VIP}/24/{IFACE} Delay::0::0",
    )  # fmt: skip
    cluster.configure()
    yield cluster
    for proc in cluster.procs.values():
        proc.kill()
        proc.wait(timeout=10)
    for name in lab.nodes:
        print(f"---- {name}: ha-log\n{cluster.ha_log(name)[-6000:]}")


@pytest.mark.netns
def test_venv_daemons_fail_over_with_the_packaged_agents(venv_cluster: Cluster) -> None:
    """Two nodes run the venv's ``heartbeat``; IPaddr and Delay come from the package (the
    nodes' /etc/ha.d/resource.d holds only the lab's test service)."""
    cluster = venv_cluster
    assert not (cluster.lab["a"].etc_dir / "resource.d/IPaddr").exists()
    cluster.start("a")
    cluster.start("b")
    wait_for(lambda: cluster.has_vip("a"), 15)
    wait_for(lambda: cluster.cl_status("b", "nodestatus", "a").stdout.strip() == "active", 5)
    cluster.kill("a")
    cluster.reboot("a")
    wait_for(lambda: cluster.has_vip("b"), 10)
    assert cluster.owners() == ["b"]
    assert "not found" not in cluster.ha_log("b")
