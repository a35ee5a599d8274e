"""``pyhb check``: validate ha.cf, authkeys, haresources and pyhb.cf; print every problem.

Each issue is printed on stdout as ``CONFDIR/FILE:LINE: error|warning: message``, grouped
by file (ha.cf, authkeys, haresources, pyhb.cf when present) and sorted by line; a
one-line summary goes to stderr. Exit status: 0 no errors (warnings allowed), 1 errors,
2 a file cannot be read (or bad usage). The checks are the daemon's own
(``daemon.preflight``), media included.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pyhb.cli.tool import parse_args
from pyhb.config import ConfigFileError, ConfigIssue, Severity
from pyhb.daemon import preflight
from pyhb.shipped import DEFAULT_CONFDIR

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2


def config_parser(
    prog: str, description: str, epilog: str, resource_dirs: str
) -> argparse.ArgumentParser:
    """A parser with the options of every tool that reads a configuration directory
    (``-R``'s help says which directories are searched when it is not given)."""
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog)
    parser.add_argument(
        "-c", "--confdir", default=str(DEFAULT_CONFDIR), help="default: %(default)s"
    )
    parser.add_argument(
        "-n", "--node", help="local node name (default: CONFDIR/nodeinfo, else uname -n)"
    )
    parser.add_argument(
        "-R", "--resource-dir", action="append", type=Path, metavar="DIR",
        help=f"search resource scripts here (repeatable; default: {resource_dirs})",
    )  # fmt: skip
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = config_parser(
        "pyhb check",
        "Validate a heartbeat configuration directory and list every problem.",
        "exit status: 0 valid (warnings allowed), 1 errors, 2 a file cannot be read",
        "the daemon's directories",
    )
    parser.add_argument(
        "--no-interfaces",
        action="store_true",
        help="do not check the media against this machine (interfaces, addresses, peers)",
    )
    return parser


def sort_issues(issues: Sequence[ConfigIssue]) -> list[ConfigIssue]:
    """Issues grouped by file in order of first appearance, then by line (stable)."""
    rank: dict[str, int] = {}
    for issue in issues:
        rank.setdefault(issue.path, len(rank))
    return sorted(issues, key=lambda i: (rank[i.path], i.line))


def main(argv: list[str]) -> int:
    """Run ``pyhb check``; see the module docstring for the exit status."""
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    status = EXIT_OK
    try:
        issues = preflight.check(
            args.confdir,
            args.node,
            resource_dirs=args.resource_dir,
            media=not args.no_interfaces,
        )
    except ConfigFileError as exc:
        issues, status = exc.issues, EXIT_UNREADABLE
    for issue in sort_issues(issues):
        print(issue)
    errors = sum(1 for i in issues if i.severity is Severity.ERROR)
    warnings = len(issues) - errors
    if status == EXIT_OK and errors:
        status = EXIT_ERRORS
    verdict = "configuration is valid" if not errors else "configuration has errors"
    print(f"pyhb check: {verdict} ({errors} errors, {warnings} warnings)", file=sys.stderr)
    return status
