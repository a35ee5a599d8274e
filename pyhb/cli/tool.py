"""``pyhb``: the project tool (``pyhb check``, ``status``, ``decode``, ``export``, ``demo``,
``install``).

Each sub-command lives in its own module exposing ``main(argv) -> int``; it is imported
only when chosen, so one sub-command's dependencies never slow another.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import pyhb

COMMANDS = {
    "check": ("pyhb.cli.check", "validate ha.cf, authkeys, haresources and pyhb.cf"),
    "status": ("pyhb.cli.status", "show the running node's view of the cluster (--json)"),
    "decode": ("pyhb.cli.decode", "decode and verify captured heartbeat packets"),
    "export": ("pyhb.cli.export", "write the configuration as Pacemaker + Corosync input"),
    "demo": ("pyhb.cli.demo", "run a two-node failover demo in network namespaces (root)"),
    "cleanup": ("pyhb.cli.cleanup", "let a group that failed its monitor here run here again"),
    "install": ("pyhb.cli.install", "install init script, systemd unit, resource.d and samples"),
}


def parse_args(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    """The parsed arguments, or the exit status once argparse has printed its text: 0 after
    ``--help``, 2 on a usage error."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2


def _usage() -> str:
    lines = ["usage: pyhb [--version] COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<8} {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; exit 2 on a usage error."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    if args[0] in {"-V", "--version"}:
        print(f"pyhb {pyhb.__version__} (heartbeat 3.0.6 compatible)")
        return 0
    entry = COMMANDS.get(args[0])
    if entry is None:
        print(f"pyhb: unknown command {args[0]!r}\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(entry[0])
    result: int = module.main(args[1:])
    return result


if __name__ == "__main__":
    sys.exit(main())
