"""Config files that are not regular files, or are huge, are refused before a byte is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyhb.config import ConfigFileError, check_config
from pyhb.config.source import MAX_CONFIG_BYTES, UnreadableFile, read_config_bytes
from tests.unit.config.test_load import write_confdir


def _make_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _make_dev_zero(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _make_dir(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _make_huge(path: Path) -> None:
    with path.open("ab") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", ["ha.cf", "authkeys", "haresources"])
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_make_fifo, "not a regular file (a FIFO)"),
        (_make_dev_zero, "not a regular file (a character device)"),
        (_make_dir, "not a regular file (a directory)"),
        (
            _make_huge,
            f"file is too large ({MAX_CONFIG_BYTES + 1} bytes; the limit is 1048576 bytes)",
        ),
    ],
)
def test_special_or_huge_config_files_are_refused(
    tmp_path: Path, name: str, make: object, reason: str
) -> None:
    """A FIFO would hang the reader, /dev/zero would eat the memory: both are refused."""
    confdir = write_confdir(tmp_path)
    assert callable(make)
    make(confdir / name)
    with pytest.raises(ConfigFileError) as info:
        check_config(confdir, "alpha", check_ifaces=False)
    shown = f"{confdir}/{name}"
    assert f"{shown}: error: cannot read {shown}: {reason}" in [str(i) for i in info.value.issues]


@pytest.mark.timeout(10)
def test_a_fifo_nodeinfo_is_ignored_not_waited_for(tmp_path: Path) -> None:
    confdir = write_confdir(tmp_path)
    os.mkfifo(confdir / "nodeinfo")
    assert check_config(confdir, "alpha", check_ifaces=False) == []
    # no name given: nodeinfo is skipped, uname -n is used (not a node here: an error)
    assert check_config(confdir, check_ifaces=False)


def test_read_config_bytes_reads_a_regular_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 70000)
    data, mode = read_config_bytes(str(path))
    assert data == b"x" * 70000
    assert mode & 0o170000 == 0o100000
    with pytest.raises(UnreadableFile, match="No such file or directory"):
        read_config_bytes(str(tmp_path / "missing"))
