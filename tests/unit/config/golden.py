"""Running ``pyhb check`` on a golden configuration directory the way the tests do.

The case directory is copied to a scratch directory, authkeys gets the mode named in
``authkeys.mode`` (default 600, as git keeps no modes), fake executable resource scripts
are put in ``scripts/``, and the check runs with ``-c .`` from inside the copy so every
path prints as ``ha.cf:LINE: ...``.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

from pyhb.cli import check

CONFIGS = Path(__file__).resolve().parents[2] / "data" / "configs"
FAKE_SCRIPTS = ("IPaddr", "Filesystem", "drbddisk", "apache", "httpd")


def prepare(case: Path, scratch: Path) -> Path:
    """Copy ``case`` into ``scratch`` with authkeys' mode and the fake scripts set up."""
    confdir = scratch / case.name
    shutil.copytree(case, confdir)
    mode_file = confdir / "authkeys.mode"
    mode = int(mode_file.read_text().strip(), 8) if mode_file.exists() else 0o600
    (confdir / "authkeys").chmod(mode)
    scripts = confdir / "scripts"
    scripts.mkdir()
    for name in FAKE_SCRIPTS:
        script = scripts / name
        script.write_text("#!/bin/sh\nexit 0\n")
        script.chmod(0o755)
    return confdir


def run_check(confdir: Path) -> tuple[int, str]:
    """(exit status, stdout) of ``pyhb check -c . -R scripts --no-interfaces`` in confdir."""
    out = io.StringIO()
    old = Path.cwd()
    os.chdir(confdir)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            status = check.main(["-c", ".", "-R", "scripts", "--no-interfaces"])
    finally:
        os.chdir(old)
    return status, out.getvalue()
