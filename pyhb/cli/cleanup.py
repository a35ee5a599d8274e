"""``pyhb cleanup [--run-dir DIR] [GROUP]``: forget that GROUP failed its monitor here.

A node whose copy of a group failed its monitor (docs/monitoring.md) does not take the
group back until an operator clears it. This clears GROUP (as haresources names it: its
first resource) or, without one, every group, and resets the counts of failures and
restarts; with ``auto_failback`` on or legacy the group then comes home as it would on
the node's return. Exit status: 0 done, 1 refused or the daemon is unreachable (or not
root), 2 bad usage. Imports ``control.client`` only (through ``hb_standby``'s helpers).
"""

from __future__ import annotations

import argparse
import sys

from pyhb.cli.hb_standby import send
from pyhb.cli.tool import parse_args


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pyhb cleanup",
        description="Let resource groups that failed their monitor on this node run here again.",
    )
    parser.add_argument("--run-dir", help="the daemon's run directory (default: /run/heartbeat)")
    parser.add_argument("group", nargs="?", help="the group, as its first haresources resource")
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args
    rc = send("pyhb cleanup", args.run_dir, lambda client: client.cleanup(args.group))
    if rc == 0:
        print(f"pyhb cleanup: failures of {args.group or 'every group'} cleared")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
