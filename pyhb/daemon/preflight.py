"""Validating everything before the daemon starts: the one check behind ``pyhb check``,
``heartbeat -t`` and starting the daemon.

The configuration checks of ``pyhb.config`` plus what the daemon would otherwise only find
while opening its sockets: each medium's interface exists and has the address it needs,
a ucast peer resolves (``net.sockets.check_medium``). A medium that cannot be set up is a
configuration error at its ha.cf line, as in 3.0.6 (``Illegal bcast ... in config file``).
Fencing that cannot work here (a missing stonith command, an unknown device type, no
watchdog device) is an error at its line too (``daemon.fence_check``).
See docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyhb.config import check_config, load_config
from pyhb.config.model import ClusterConfig, HaConfig
from pyhb.config.source import ConfigIssue, Severity
from pyhb.daemon.fence_check import fencing_issues
from pyhb.daemon.rcscripts import REFUSED, is_stock
from pyhb.net.sockets import MediumError, check_medium


def media_issues(ha: HaConfig, path: str) -> list[ConfigIssue]:
    """An error for each medium that cannot be set up on this machine."""
    issues = []
    for medium in ha.media:
        try:
            check_medium(medium)
        except MediumError as exc:
            issues.append(ConfigIssue(path, medium.line, Severity.ERROR, str(exc)))
    return issues


def machine_issues(ha: HaConfig, path: str) -> list[ConfigIssue]:
    """Media and fencing this machine cannot set up."""
    return media_issues(ha, path) + fencing_issues(ha, path)


def check(
    confdir: Path | str,
    node_name: str | None = None,
    *,
    resource_dirs: Sequence[Path] | None = None,
    media: bool = True,
) -> list[ConfigIssue]:
    """Every issue (see ``pyhb.config.check_config``); with ``media``, the media too; and
    the event scripts the daemon will not run."""
    issues = check_config(
        confdir,
        node_name,
        resource_dirs=resource_dirs,
        check_ifaces=False,
        media_check=machine_issues if media else None,
    )
    return issues + event_script_issues(Path(confdir) / "rc.d")


def event_script_issues(rcdir: Path) -> list[ConfigIssue]:
    """A warning for each rc.d script the daemon refuses to run: a site's own
    ``ip-request``/``ip-request-resp`` would answer on the wire besides pyhb
    (docs/eventscripts.md)."""
    issues = []
    for name in sorted(REFUSED):
        path = rcdir / name
        try:
            if not path.is_file() or is_stock(path):
                continue
        except OSError:
            continue
        issues.append(
            ConfigIssue(
                str(path),
                0,
                Severity.WARNING,
                f"not run: it is not Heartbeat's own {name}, and pyhb answers ip-request "
                "itself (a second answer would go on the wire); see docs/eventscripts.md",
            )
        )
    return issues


def load(confdir: Path | str, node_name: str | None = None, *, media: bool = True) -> ClusterConfig:
    """The configuration, refused (``ConfigError``) on any issue ``check`` reports."""
    return load_config(confdir, node_name, media_check=machine_issues if media else None)
