"""The ``ld`` field's load average reader."""

from __future__ import annotations

from pathlib import Path

from pyhb.daemon.state import LoadAvg


def test_reader_returns_the_first_line_and_sees_new_content(tmp_path: Path) -> None:
    f = tmp_path / "loadavg"
    f.write_text("0.10 0.20 0.30 1/100 1234\n")
    reader = LoadAvg(str(f))
    try:
        assert reader() == "0.10 0.20 0.30 1/100 1234"
        f.write_text("0.50 0.20 0.30 2/101 1240\nextra\n")  # same inode, new content
        assert reader() == "0.50 0.20 0.30 2/101 1240"
    finally:
        reader.close()


def test_missing_file_gives_na(tmp_path: Path) -> None:
    assert LoadAvg(str(tmp_path / "nope"))() == "n/a"


def test_proc_loadavg_has_five_fields() -> None:
    reader = LoadAvg()
    try:
        assert len(reader().split()) == 5
        assert len(reader().split()) == 5
    finally:
        reader.close()
