"""Can this machine honour the fencing ha.cf asks for? Errors at start and in
``pyhb check``, at the directive's line.

Fencing that cannot work is never ignored: a ``stonith``/``stonith_host`` line whose
command cannot run (cluster-glue not installed), whose device type the command does not
know, or whose configuration file cannot be read, and a ``watchdog`` line whose device
is missing or not writable, each stop the daemon from starting. The ways out (see
docs/operations.md): install what is missing (cluster-glue; ``modprobe softdog``), name
the command or device with ``PYHB_STONITH`` / ``PYHB_WATCHDOG_DEVICE``, or remove the
line to run knowingly without that protection. The watchdog is only looked at, never
opened here: opening arms it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

from pyhb.config.model import HaConfig
from pyhb.config.source import ConfigIssue, Severity
from pyhb.daemon.stonith import STONITH_ENV, stonith_binary
from pyhb.daemon.watchdog import WATCHDOG_ENV, watchdog_device

LIST_TIMEOUT = 20.0


def stonith_types(binary: str) -> tuple[frozenset[str], str | None]:
    """The device types ``binary -L`` lists, or the reason it could not be run."""
    try:
        done = subprocess.run(
            [binary, "-L"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=LIST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return frozenset(), str(exc)
    if done.returncode != 0:
        tail = " ".join(done.stderr.split())[-200:]
        return frozenset(), f"'{binary} -L' exited with {done.returncode}: {tail}"
    return frozenset(done.stdout.split()), None


def fencing_issues(
    ha: HaConfig, path: str, environ: Mapping[str, str] = os.environ
) -> list[ConfigIssue]:
    """An error for each fencing line this machine cannot honour."""
    issues: list[ConfigIssue] = []

    def error(line: int, message: str) -> None:
        issues.append(ConfigIssue(path, line, Severity.ERROR, message))

    if ha.fencing.devices:
        binary = stonith_binary(environ)
        types, problem = stonith_types(binary)
        for dev in ha.fencing.devices:
            if problem is not None:
                error(
                    dev.line,
                    f"{dev.directive}: cannot run the STONITH command ({problem}); install "
                    f"cluster-glue or name the command with {STONITH_ENV}",
                )
            elif dev.type not in types:
                error(
                    dev.line,
                    f"{dev.directive}: unknown STONITH device type {dev.type!r} "
                    f"('{binary} -L' does not list it)",
                )
            if dev.config_file is not None and not os.access(dev.config_file, os.R_OK):
                error(
                    dev.line,
                    f"stonith: cannot read the device configuration file {dev.config_file}",
                )
    device = watchdog_device(ha.fencing.watchdog, environ)
    if device is not None:
        line = ha.fencing.watchdog_line
        if not os.path.exists(device):
            error(
                line,
                f"watchdog: no device {device} (load a watchdog driver, e.g. "
                f"'modprobe softdog', or name the device with {WATCHDOG_ENV})",
            )
        elif not os.access(device, os.W_OK):
            error(line, f"watchdog: the device {device} is not writable")
    return issues
