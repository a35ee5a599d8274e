"""Checking the arguments of haresources' built-in agents (IPaddr, IPaddr2, Filesystem,
drbddisk, Delay) with the rules the agents themselves apply (``pyhb.agents.args``).

Every bad resource is reported, each at the physical line it is written on, even inside a
``\\``-continued logical line. Imports stdlib, ``config.*`` and ``pyhb.agents.args`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pyhb.agents.args import argument_problems
from pyhb.config.haresources import parse_resource
from pyhb.config.source import ConfigIssue, Severity

_WORD = re.compile(r"\S+")


def resource_words(text: str) -> Iterator[tuple[int, str]]:
    """(physical line, word) of every resource word of haresources ``text`` (node names
    left out), joining ``\\`` continuations as the parser does."""
    chars: list[str] = []
    lines: list[int] = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].rstrip("\r")
        continued = line.endswith("\\")
        part = line[:-1] if continued else line
        chars += part
        lines += [lineno] * len(part)
        if not continued:
            yield from _words("".join(chars), lines)
            chars, lines = [], []
    yield from _words("".join(chars), lines)


def _words(joined: str, lines: list[int]) -> Iterator[tuple[int, str]]:
    for index, match in enumerate(_WORD.finditer(joined)):
        if index:  # the first word is the node
            yield lines[match.start()], match.group()


def check_agent_args(text: str, path: str) -> list[ConfigIssue]:
    """An error for every problem of every built-in agent's arguments in haresources."""
    issues = []
    for lineno, word in resource_words(text):
        ref = parse_resource(word)
        for problem in argument_problems(ref.name, ref.args):
            issues.append(ConfigIssue(path, lineno, Severity.ERROR, f"{ref.text}: {problem}"))
    return issues
