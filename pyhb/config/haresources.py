"""Parsing haresources into ordered ``ResourceGroup``s.

Grammar (as normalised by heartbeat's ResourceManager): ``#`` starts a comment anywhere, a
line ending in ``\\`` continues on the next, blanks are squeezed, the first word (the
preferred node) is lower-cased. Each further word is ``NAME`` or ``NAME::ARG::ARG``; a word
that looks like an IPv4 address (starts with a digit and has three dots each followed by
a digit) is shorthand for ``IPaddr::WORD``. The group key is the first resource word as
written. Names containing ``/`` or ``..`` are refused, so a name can never leave the
script directories. Scripts are not looked for here (``config.validate`` does, on
``pyhb.shipped``'s one search path); ``suggest_script`` names the closest existing script
for its message. Imports stdlib, ``config.source``, ``config.model`` and ``pyhb.shipped``
only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from pyhb.agents.names import SHORTHAND
from pyhb.config.model import ResourceGroup, ResourceRef, node_key
from pyhb.config.source import ConfigIssue, Severity
from pyhb.shipped import unsafe_name_reason

_IPV4_SHORTHAND = re.compile(r"[0-9].*\.[0-9].*\.[0-9].*\.[0-9].*")


def suggest_script(name: str, dirs: Sequence[Path]) -> str | None:
    """The existing script name closest to ``name``, if any is close."""
    names: set[str] = set()
    for directory in dirs:
        try:
            names.update(p.name for p in directory.iterdir() if p.is_file())
        except OSError:
            continue
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.8)
    return close[0] if close else None


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line number, joined text) of each non-empty logical line."""
    start = 0
    pending = ""
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].rstrip("\r")
        if not pending:
            start = lineno
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        joined, pending = pending + line, ""
        if joined.strip():
            yield start, joined
    if pending.strip():
        yield start, pending


def parse_resource(word: str) -> ResourceRef:
    """One resource word; the IPv4 shorthand becomes ``IPaddr::WORD``."""
    text = f"{SHORTHAND}::{word}" if _IPV4_SHORTHAND.fullmatch(word) else word
    name, *args = text.split("::")
    return ResourceRef(name=name, args=tuple(args), text=text)


def parse_haresources(text: str, path: str) -> tuple[tuple[ResourceGroup, ...], list[ConfigIssue]]:
    """Parse haresources ``text`` (from ``path``, used in messages) into groups in file order.

    Node names are not checked against ha.cf and scripts are not located here (see
    ``config.validate``)."""
    groups: list[ResourceGroup] = []
    issues: list[ConfigIssue] = []
    keys: dict[str, int] = {}
    for lineno, line in logical_lines(text):
        words = line.split()
        node = node_key(words[0])
        if len(words) < 2:
            issues.append(
                ConfigIssue(path, lineno, Severity.ERROR, f"node {node!r} is given no resources")
            )
            continue
        resources = tuple(parse_resource(w) for w in words[1:])
        bad = [r for r in (unsafe_name_reason(res.name) for res in resources) if r]
        for reason in bad:
            issues.append(ConfigIssue(path, lineno, Severity.ERROR, reason))
        key = words[1]
        if key in keys:
            issues.append(
                ConfigIssue(
                    path,
                    lineno,
                    Severity.ERROR,
                    f"group key {key!r} is already used by the group on line "
                    f"{keys[key]} (the first resource of each line must be "
                    "unique)",
                )
            )
            continue
        keys[key] = lineno
        if not bad:
            groups.append(ResourceGroup(node=node, resources=resources, key=key, line=lineno))
    return tuple(groups), issues
