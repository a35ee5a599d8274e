"""haresources: grammar, IPv4 shorthand, keys, name safety and script lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhb.config.haresources import (
    parse_haresources,
    parse_resource,
    suggest_script,
)
from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.config.validate import check_group_nodes, check_scripts

FS = "Filesystem::/dev/sdb1::/data::ext4"


def test_groups_in_file_order_with_args_split_on_double_colon() -> None:
    """Each line is a group: node lower-cased, resources `NAME::ARG::ARG` in order."""
    groups, issues = parse_haresources(
        "Alpha Filesystem::/dev/sdb1::/data::ext4 apache\nbeta Dummy\n", "haresources"
    )
    assert issues == []
    assert groups == (
        ResourceGroup(
            "alpha",
            (
                ResourceRef("Filesystem", ("/dev/sdb1", "/data", "ext4"), FS),
                ResourceRef("apache", (), "apache"),
            ),
            key=FS,
            line=1,
        ),
        ResourceGroup("beta", (ResourceRef("Dummy", (), "Dummy"),), key="Dummy", line=2),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("word", "ref"),
    [
        ("10.0.0.1", ResourceRef("IPaddr", ("10.0.0.1",), "IPaddr::10.0.0.1")),
        ("10.0.0.1/24/eth0", ResourceRef("IPaddr", ("10.0.0.1/24/eth0",),
                                         "IPaddr::10.0.0.1/24/eth0")),
        ("1.2.3.4/24/eth0/1.2.3.255", ResourceRef("IPaddr", ("1.2.3.4/24/eth0/1.2.3.255",),
                                                  "IPaddr::1.2.3.4/24/eth0/1.2.3.255")),
        ("IPaddr2::10.0.0.1", ResourceRef("IPaddr2", ("10.0.0.1",), "IPaddr2::10.0.0.1")),
        ("1.2.3", ResourceRef("1.2.3", (), "1.2.3")),
        ("a1.2.3.4", ResourceRef("a1.2.3.4", (), "a1.2.3.4")),
    ],
)  # fmt: skip
def test_ipv4_looking_words_are_ipaddr_shorthand(word: str, ref: ResourceRef) -> None:
    """A word starting with a digit with three dots is `IPaddr::WORD`; others are names."""
    assert parse_resource(word) == ref


def test_key_is_the_first_word_as_written() -> None:
    """The group key keeps the shorthand spelling, not the expanded one."""
    groups, _ = parse_haresources("alpha 10.0.0.1/24/eth0 apache\n", "haresources")
    assert groups[0].key == "10.0.0.1/24/eth0"
    assert groups[0].resources[0].text == "IPaddr::10.0.0.1/24/eth0"


def test_comments_continuations_and_blanks() -> None:
    """`#` starts a comment anywhere, `\\` joins lines, blanks are squeezed; the group's line
    is its first physical line."""
    text = "# header\n\n  alpha\t 10.0.0.1  \\\n   apache # web\\\n\nbeta  Dummy # x\n"
    groups, issues = parse_haresources(text, "haresources")
    assert issues == []
    assert [(g.node, [r.text for r in g.resources], g.line) for g in groups] == [
        ("alpha", ["IPaddr::10.0.0.1", "apache"], 3),
        ("beta", ["Dummy"], 6),
    ]


def test_duplicate_keys_are_errors() -> None:
    """Two groups with the same first resource are refused."""
    _, issues = parse_haresources("alpha 10.0.0.1 a\nbeta 10.0.0.1\n", "haresources")
    assert [str(i) for i in issues] == [
        "haresources:2: error: group key '10.0.0.1' is already used by the group on line 1 "
        "(the first resource of each line must be unique)"
    ]


def test_node_without_resources_is_an_error() -> None:
    """A line with only a node name is refused."""
    _, issues = parse_haresources("alpha\n", "haresources")
    assert [str(i) for i in issues] == ["haresources:1: error: node 'alpha' is given no resources"]


@pytest.mark.parametrize("word", ["../bin/sh", "/bin/sh::-c", "a..b", "::x"])
def test_unsafe_resource_names_are_refused(word: str) -> None:
    """Names with `/` or `..`, and empty names, can never name a script."""
    groups, issues = parse_haresources(f"alpha {word}\n", "haresources")
    assert groups == ()
    assert len(issues) == 1
    assert issues[0].severity == "error"


def _script(directory: Path, name: str, mode: int = 0o755) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return path


def test_suggest_script_finds_close_names(tmp_path: Path) -> None:
    """A misspelt name gets the closest existing script name."""
    _script(tmp_path, "drbddisk")
    assert suggest_script("drbdisk", [tmp_path, tmp_path / "nope"]) == "drbddisk"
    assert suggest_script("apache", [tmp_path]) is None


def test_missing_script_error_lists_dirs_and_suggestion(tmp_path: Path) -> None:
    """An unresolvable resource names every directory searched and a close match."""
    _script(tmp_path / "rd", "drbddisk")
    groups, _ = parse_haresources("alpha drbdisk::r0 drbdisk::r1\n", "haresources")
    dirs = [tmp_path / "rd", tmp_path / "init.d"]
    issues = check_scripts(groups, "haresources", dirs)
    assert [str(i) for i in issues] == [
        f"haresources:1: error: resource script 'drbdisk' not found in {dirs[0]}, {dirs[1]} "
        "(did you mean 'drbddisk'?)"
    ]


def test_group_nodes_must_be_configured() -> None:
    """A group whose node is not in ha.cf's node list is an error naming the nodes."""
    groups, _ = parse_haresources("alpha a\nGamma b\n", "haresources")
    issues = check_group_nodes(groups, "haresources", ("alpha", "beta"))
    assert [str(i) for i in issues] == [
        "haresources:2: error: node 'gamma' is not a configured node (ha.cf nodes: alpha, beta)"
    ]
