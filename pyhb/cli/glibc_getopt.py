"""glibc's ``getopt`` with argument permutation, as heartbeat's C tools parse options.

Used by ``cl_status``; stdlib only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator


def getopt(prog: str, args: list[str], optstring: str, operands: list[str]) -> Iterator[str]:
    """glibc-style ``getopt`` with argument permutation.

    Yields each option letter (``"p=NAME"`` for an option with an argument, ``"?"`` after
    printing glibc's message for a bad one) and appends the operands to ``operands``.
    """
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            operands.extend(args[i:])
            return
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            continue
        j = 1
        while j < len(arg):
            ch = arg[j]
            j += 1
            pos = optstring.find(ch)
            if ch == ":" or pos < 0:
                sys.stderr.write(f"{prog}: invalid option -- '{ch}'\n")
                yield "?"
                continue
            if optstring[pos + 1 : pos + 2] != ":":
                yield ch
                continue
            if j < len(arg):
                value, j = arg[j:], len(arg)
            elif i < len(args):
                value, i = args[i], i + 1
            else:
                sys.stderr.write(f"{prog}: option requires an argument -- '{ch}'\n")
                yield "?"
                continue
            yield f"{ch}={value}"
