"""docs/hacf.md describes every ha.cf directive pyhb knows, and what it says about the
directives pyhb ignores agrees with the directive table.

Each directive, alias and name that 3.0.6's packages refuse has exactly one table row
(directive, what Heartbeat 3.0.6 does, what pyhb does). A directive the table marks as
ignored says "ignored" or "refused" in its pyhb cell, and no other directive's cell says
"ignored": a directive that becomes ignored, or stops being ignored, changes the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyhb.config.directives import ALIASES, DIRECTIVES, NOT_AVAILABLE

ROOT = Path(__file__).resolve().parents[3]
HACF_DOC = ROOT / "docs" / "hacf.md"
ROW = re.compile(r"\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|")
KNOWN = set(DIRECTIVES) | set(ALIASES) | set(NOT_AVAILABLE)


def table_rows(text: str) -> list[tuple[str, str, str]]:
    """(directive, Heartbeat 3.0.6 cell, pyhb cell) of every directive row of ``text``."""
    rows = []
    for line in text.splitlines():
        m = ROW.fullmatch(line.strip())
        if m:
            rows.append((m[1], m[2].strip(), m[3].strip()))
    return rows


def pyhb_cells() -> dict[str, str]:
    return {name: cell for name, _, cell in table_rows(HACF_DOC.read_text(encoding="utf-8"))}


def describes_ignoring(cell: str) -> bool:
    return re.search(r"\b(ignored|refused)\b", cell, re.IGNORECASE) is not None


def test_rows_are_read_from_the_tables() -> None:
    text = "| directive | Heartbeat 3.0.6 | pyhb |\n|---|---|---|\n| `node` | Members. | Same. |\n"
    assert table_rows(text) == [("node", "Members.", "Same.")]
    assert table_rows("`node` is the first | row") == []


def test_every_directive_alias_and_refused_name_has_exactly_one_row() -> None:
    names = [name for name, _, _ in table_rows(HACF_DOC.read_text(encoding="utf-8"))]
    assert len(KNOWN) == len(DIRECTIVES) + len(ALIASES) + len(NOT_AVAILABLE)
    assert sorted(n for n in KNOWN if names.count(n) != 1) == []
    assert sorted(set(names) - KNOWN) == []  # no row for a name pyhb does not know


def test_every_row_says_what_both_do() -> None:
    for name, heartbeat, pyhb in table_rows(HACF_DOC.read_text(encoding="utf-8")):
        assert heartbeat, name
        assert pyhb, name


@pytest.mark.parametrize("name", sorted(DIRECTIVES))
def test_the_row_says_ignored_exactly_when_pyhb_ignores_the_directive(name: str) -> None:
    cell = pyhb_cells()[name]
    if DIRECTIVES[name].ignored:
        assert describes_ignoring(cell), f"{name}: {cell}"
    else:
        assert not re.search(r"\bignored\b", cell, re.IGNORECASE), f"{name}: {cell}"
    if DIRECTIVES[name].refused:
        assert re.search(r"\brefused with an error\b", cell, re.IGNORECASE), f"{name}: {cell}"


@pytest.mark.parametrize("name", sorted(NOT_AVAILABLE))
def test_names_3_0_6_refuses_are_refused(name: str) -> None:
    assert re.search(r"\brefused with an error\b", pyhb_cells()[name], re.IGNORECASE)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_an_alias_row_names_its_directive(alias: str) -> None:
    target, _ = ALIASES[alias]
    assert f"`{target}`" in pyhb_cells()[alias]


def test_the_migration_section_of_the_readme_points_here() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Migrating from Heartbeat 3.0.6", 1)[1].split("\n## ", 1)[0]
    assert "docs/hacf.md" in section
