"""pyhb's shell resource scripts (Filesystem, drbddisk, Delay) driven through ResourceRunner."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.resources.plan import Action
from pyhb.resources.runner import GroupStatus, ResourceRunner
from pyhb.shipped import agent_dir


def ref(text: str) -> ResourceRef:
    name, *args = text.split("::")
    return ResourceRef(name, tuple(args), text)


def runner(env: dict[str, str], **kw: object) -> ResourceRunner:
    kw.setdefault("builtin_agents", False)
    kw.setdefault("enforce_owner", False)
    kw.setdefault("retry_delay", 0.01)
    return ResourceRunner([agent_dir()], env, **kw)  # type: ignore[arg-type]


# -- Delay ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_delay_start_status_stop_cycle(tmp_path: Path) -> None:
    """Delay::0.1::0 sleeps on start, then reads as running until stopped."""
    r = runner({"HA_RSCTMP": str(tmp_path)})
    d = ref("Delay::0.1::0")
    assert await r.is_owned(d) is False
    start = await r.run(d, Action.START)
    assert start.ok
    assert start.finished - start.started >= 0.1
    assert await r.is_owned(d) is True
    assert (await r.run(d, Action.STOP)).ok
    assert await r.is_owned(d) is False


@pytest.mark.asyncio
async def test_delay_rejects_non_numeric_delay(tmp_path: Path) -> None:
    """A delay that is not a number is a usage error, never passed to a shell."""
    r = runner({"HA_RSCTMP": str(tmp_path)})
    result = await r.run(ref("Delay::1;touch x::0"), Action.START)
    assert result.rc == 1
    assert "usage" in result.stdout


# -- drbddisk ------------------------------------------------------------------------------

FAKE_DRBDADM = """#!/bin/sh
# Stand-in for drbdadm: records its argv; "primary" fails until FAILS attempts were made.
echo "$*" >> {log}
case $1 in
  primary)
    n=$(cat {dir}/attempts 2>/dev/null || echo 0); echo $((n+1)) > {dir}/attempts
    [ "$n" -ge {fails} ] || exit 11
    echo Primary > {dir}/role ;;
  secondary) echo Secondary > {dir}/role ;;
  role) echo "$(cat {dir}/role 2>/dev/null || echo Secondary)/Unknown" ;;
esac
"""


def _fake_drbdadm(tmp_path: Path, fails: int) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    p = bindir / "drbdadm"
    p.write_text(FAKE_DRBDADM.format(log=tmp_path / "calls", dir=tmp_path, fails=fails))
    p.chmod(0o755)
    return {"PATH": f"{bindir}:/usr/bin:/bin", "DRBDDISK_RETRY_DELAY": "0.01"}


def _calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls").read_text().splitlines()


@pytest.mark.asyncio
async def test_drbddisk_promotes_with_retries_and_reports_primary(tmp_path: Path) -> None:
    """drbddisk::r0 start retries ``drbdadm primary r0``; status then says running.

    There is no DRBD kernel module here: a stand-in drbdadm on PATH records its calls.
    """
    r = runner(_fake_drbdadm(tmp_path, fails=2))
    out = await r.take_group(ResourceGroup("node1", (ref("drbddisk::r0"),), "drbddisk::r0"))
    assert out.ok
    assert _calls(tmp_path) == ["role r0", "primary r0", "primary r0", "primary r0"]
    assert await r.is_owned(ref("drbddisk::r0")) is True


@pytest.mark.asyncio
async def test_drbddisk_start_gives_up_after_its_tries(tmp_path: Path) -> None:
    """When promotion keeps failing, start fails after DRBDDISK_START_TRIES attempts.

    There is no DRBD kernel module here: a stand-in drbdadm on PATH records its calls.
    """
    env = _fake_drbdadm(tmp_path, fails=99) | {"DRBDDISK_START_TRIES": "3"}
    result = await runner(env).run(ref("drbddisk::r0"), Action.START)
    assert result.rc == 1
    assert _calls(tmp_path) == ["primary r0"] * 3


@pytest.mark.asyncio
async def test_drbddisk_stop_demotes_and_status_reads_stopped(tmp_path: Path) -> None:
    """stop runs ``drbdadm secondary r0``; Secondary reads as not owned.

    There is no DRBD kernel module here: a stand-in drbdadm on PATH records its calls.
    """
    r = runner(_fake_drbdadm(tmp_path, fails=0))
    assert (await r.run(ref("drbddisk::r0"), Action.START)).ok
    assert (await r.run(ref("drbddisk::r0"), Action.STOP)).ok
    status = await r.run(ref("drbddisk::r0"), Action.STATUS)
    assert status.stdout == "stopped (Secondary)\n"
    assert await r.is_owned(ref("drbddisk::r0")) is False
    assert _calls(tmp_path) == ["primary r0", "secondary r0", "role r0", "role r0"]


# -- Filesystem ----------------------------------------------------------------------------

needs_mount = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("mkfs.ext4") or not Path("/dev/loop-control").exists(),
    reason="needs root, mkfs.ext4 and loop devices",
)


@pytest.fixture
def ext4_image(tmp_path: Path):  # type: ignore[no-untyped-def]
    img = tmp_path / "fs.img"
    with img.open("wb") as f:
        f.truncate(16 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-F", "-q", str(img)], check=True)
    mnt = tmp_path / "mnt"
    yield img, mnt
    if subprocess.run(["mountpoint", "-q", str(mnt)], check=False).returncode == 0:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
    out = subprocess.run(["losetup", "-j", str(img)], capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        subprocess.run(["losetup", "-d", line.split(":")[0]], check=False)


def _mounts() -> str:
    return Path("/proc/mounts").read_text()


def _hold_busy(mnt: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "60"], cwd=mnt)


@needs_mount
@pytest.mark.asyncio
async def test_filesystem_loop_mount_status_and_umount(ext4_image: tuple[Path, Path]) -> None:
    """An ext4 image mounts with ``-o loop``, reads as running by mount point, then unmounts."""
    img, mnt = ext4_image
    fs = ref(f"Filesystem::{img}::{mnt}::ext4::loop")
    r = runner({})
    assert await r.is_owned(fs) is False
    out = await r.take_group(ResourceGroup("node1", (fs,), fs.text))
    assert out.ok
    assert f" {mnt} ext4 " in _mounts()
    assert await r.is_owned(fs) is True
    assert (await r.give_group(ResourceGroup("node1", (fs,), fs.text))).ok
    assert f" {mnt} " not in _mounts()
    assert await r.is_owned(fs) is False


@needs_mount
@pytest.mark.asyncio
async def test_filesystem_busy_umount_is_a_stop_failure(ext4_image: tuple[Path, Path]) -> None:
    """A mount held busy cannot be unmounted: retries, then a stop failure, still running."""
    img, mnt = ext4_image
    fs = ref(f"Filesystem::{img}::{mnt}::ext4::loop")
    group = ResourceGroup("node1", (fs,), fs.text)
    r = runner({"FS_UMOUNT_TRIES": "2", "FS_UMOUNT_DELAY": "0.05"}, stop_retries=1)
    assert (await r.take_group(group)).ok
    holder = _hold_busy(mnt)
    try:
        out = await r.give_group(group)
        assert out.status is GroupStatus.STOP_FAILED
        assert out.still_running == (fs.text,)
    finally:
        holder.kill()
        holder.wait()
    assert (await r.give_group(group)).ok
