"""``pyhb export``: write the configuration as Pacemaker + Corosync input, on stdout.

``--format cib`` (default) a CIB for ``cibadmin --replace --xml-file``; ``pcs`` a ``pcs -f``
script; ``crmsh`` ``crm configure`` text; ``--corosync`` a corosync.conf instead. The
configuration is read with pyhb's loader, so errors are ``path:line`` as in ``pyhb check``;
anything that cannot be translated faithfully is an error too. Exit status: 0 written,
1 errors, 2 a file cannot be read (or bad usage). See docs/export.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyhb.cli.check import EXIT_ERRORS, EXIT_OK, EXIT_UNREADABLE, config_parser
from pyhb.cli.tool import parse_args
from pyhb.config import ConfigError, ConfigFileError, load_config
from pyhb.export.cib import render_cib
from pyhb.export.corosync import parse_addrs, render_corosync
from pyhb.export.crmsh import render_crmsh
from pyhb.export.model import ExportError, Plan
from pyhb.export.pcs import render_pcs
from pyhb.export.plan import build_plan
from pyhb.shipped import resource_dirs

RENDERERS = {"cib": render_cib, "pcs": render_pcs, "crmsh": render_crmsh}


def _parser() -> argparse.ArgumentParser:
    parser = config_parser(
        "pyhb export",
        "Translate ha.cf, authkeys and haresources into Pacemaker + Corosync.",
        "exit status: 0 written, 1 errors, 2 a file cannot be read",
        "CONFDIR/resource.d, pyhb's",
    )
    parser.add_argument("--format", choices=("cib", "pcs", "crmsh"), default="cib")
    parser.add_argument("--corosync", action="store_true", help="write corosync.conf instead")
    parser.add_argument(
        "--addr",
        action="append",
        default=[],
        metavar="NODE=IP[,IP]",
        help="a node's corosync ring address(es), one knet link each",
    )
    parser.add_argument("--cluster-name", default="pyhb", help="default: %(default)s")
    parser.add_argument(
        "--init-dir",
        action="append",
        type=Path,
        metavar="DIR",
        help="init script directories (default: /etc/init.d)",
    )
    return parser


def main(argv: list[str]) -> int:
    """Run ``pyhb export``; see the module docstring for the exit status."""
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    confdir = Path(args.confdir)
    *scripts, initdir = resource_dirs(confdir)  # the daemon's search path, init.d last
    dirs = args.resource_dir or scripts
    init = args.init_dir or [initdir]
    try:
        config = load_config(args.confdir, args.node, resource_dirs=[*dirs, *init])
        if args.corosync:
            text = render_corosync(
                config, parse_addrs(args.addr, config.ha.node), args.cluster_name
            )
        else:
            plan: Plan = build_plan(config, dirs, init)
            text = RENDERERS[args.format](plan)
    except ConfigFileError as exc:
        _report(exc)
        return EXIT_UNREADABLE
    except (ConfigError, ExportError) as exc:
        _report(exc)
        return EXIT_ERRORS
    sys.stdout.write(text)
    return EXIT_OK


def _report(exc: ConfigError) -> None:
    for problem in exc.issues:
        print(problem, file=sys.stderr)
    print("pyhb export: nothing written", file=sys.stderr)
