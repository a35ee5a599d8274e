"""Root's private run directory (``daemon.private``) and a control socket made without
following anything in a run directory another user owns."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

from pyhb.control.server import ControlServer
from pyhb.daemon import private
from pyhb.daemon.paths import Paths

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
NOBODY = 65534


def test_private_dir_goes_with_the_run_dir(tmp_path: Path) -> None:
    assert private.private_dir(Path("/run/heartbeat")) == Path("/run/pyhb")
    assert private.private_dir(tmp_path / "run") == tmp_path / "run.pyhb"
    paths = Paths(rundir=tmp_path / "run")
    assert paths.rsctmp == tmp_path / "run.pyhb" / "rsctmp"


def test_ensure_makes_a_0700_directory_and_tightens_a_loose_one(tmp_path: Path) -> None:
    made = private.ensure(tmp_path / "p")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    made.chmod(0o777)
    private.ensure(made)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


def test_ensure_refuses_a_symlink_or_a_file(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(private.PrivateDirError, match="not a directory of its own"):
        private.ensure(tmp_path / "link")
    (tmp_path / "file").write_text("")
    with pytest.raises(private.PrivateDirError):
        private.ensure(tmp_path / "file")


@needs_root
def test_ensure_refuses_what_another_user_owns_or_can_replace(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(0o700)
    os.chown(theirs, NOBODY, NOBODY)
    with pytest.raises(private.PrivateDirError, match="belongs to uid 65534"):
        private.ensure(theirs)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, NOBODY, NOBODY)
    with pytest.raises(private.PrivateDirError, match="owned by uid 65534"):
        private.ensure(shared / "mine")
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o777)
    with pytest.raises(private.PrivateDirError, match="writable by group or others"):
        private.ensure(loose / "mine")


class _Target:
    def snapshot(self) -> object:
        raise NotImplementedError

    def request(self, cmd: object) -> str | None:
        return None

    def reload(self) -> str | None:
        return None


@needs_root
def test_control_socket_in_a_run_dir_another_user_owns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the run directory owned by another user (Debian's hacluster:haclient 0750),
    the socket is made 0666 in the private directory and renamed in: no path inside the
    run directory is ever given to chmod, so no symlink there can redirect it."""
    rundir = tmp_path / "heartbeat"
    rundir.mkdir(0o750)
    os.chown(rundir, NOBODY, NOBODY)
    staging = private.ensure(private.private_dir(rundir))
    changed: list[str] = []
    real_chmod = os.chmod

    def spy(path: object, mode: int, **kw: object) -> None:
        changed.append(os.fspath(path))  # type: ignore[arg-type]
        real_chmod(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "chmod", spy)

    async def run() -> None:
        server = ControlServer(rundir / "pyhb.sock", _Target(), staging=staging)  # type: ignore[arg-type]
        await server.start()
        try:
            st = (rundir / "pyhb.sock").lstat()
            assert stat.S_ISSOCK(st.st_mode)
            assert stat.S_IMODE(st.st_mode) == 0o666
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.setblocking(False)  # as the loop's sock_* calls require
                await asyncio.get_running_loop().sock_connect(client, str(rundir / "pyhb.sock"))
        finally:
            await server.close()
        assert not (rundir / "pyhb.sock").exists()

    asyncio.run(run())
    assert changed
    assert not [p for p in changed if Path(p).parent == rundir], changed
    assert list(staging.iterdir()) == []
