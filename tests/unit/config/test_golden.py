"""Golden configurations: each bad case prints exactly its expected `pyhb check` lines and
exits 1; each good case prints nothing, exits 0 and loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhb.config import load_config
from tests.unit.config.golden import CONFIGS, prepare, run_check

BAD = sorted((CONFIGS / "bad").iterdir())
GOOD = sorted((CONFIGS / "good").iterdir())


def test_there_are_enough_golden_cases() -> None:
    """The golden set keeps at least 12 bad and 3 good configurations."""
    assert len(BAD) >= 12
    assert len(GOOD) >= 3


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_bad_config_prints_exactly_the_expected_lines(case: Path, tmp_path: Path) -> None:
    """`pyhb check` on the case prints exactly expected.txt and exits 1."""
    expected = (case / "expected.txt").read_text()
    assert expected.strip(), "a bad case must expect at least one line"
    status, out = run_check(prepare(case, tmp_path))
    assert out == expected
    assert status == 1


@pytest.mark.parametrize("case", GOOD, ids=[c.name for c in GOOD])
def test_good_config_is_clean_and_loads(case: Path, tmp_path: Path) -> None:
    """A good case prints nothing, exits 0, and load_config builds it."""
    confdir = prepare(case, tmp_path)
    status, out = run_check(confdir)
    assert (status, out) == (0, "")
    config = load_config(confdir, resource_dirs=[confdir / "scripts"])
    assert config.local_node in config.ha.node
    assert config.ha.media
    assert config.groups
