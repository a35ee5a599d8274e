"""Parsing pyhb.cf: resource monitoring and the metrics listener (docs/monitoring.md).

Grammar: one directive per line in ha.cf's style, ``#`` starts a comment, words are
separated by blanks and may be quoted as in a shell (never run by one)::

    monitor RESOURCE [interval=DUR] [timeout=DUR] [restarts=N] [window=DUR] [check=CMD]
    metrics_listen HOST:PORT

Directive names are read in any letter case. ``RESOURCE`` is a haresources resource word
as written there (the bare-IP shorthand may be written either way); ``DUR`` is a number
of seconds, or a number followed by ``ms``, ``s``, ``m`` or ``h``; ``CMD`` is an absolute
path and its arguments (quote it when it has any); ``HOST:PORT`` as the metrics exporter
reads it (docs/metrics.md; the last line counts). Every problem is a ``ConfigIssue``
naming the file and line.
Imports stdlib and ``pyhb.config`` modules only.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal, TypeGuard, assert_never, get_args

from pyhb.config.haresources import parse_resource
from pyhb.config.model import ResourceGroup
from pyhb.config.monitors import ListenAddress, MonitorSpec, PyhbSettings
from pyhb.config.source import ConfigIssue, IssueList, Severity

FILE_NAME = "pyhb.cf"
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
MonitorOption = Literal["interval", "timeout", "restarts", "window", "check"]
MONITOR_OPTIONS: tuple[MonitorOption, ...] = get_args(MonitorOption)


def parse_seconds(text: str) -> float:
    """A duration above zero: ``5``, ``1.5s``, ``500ms``, ``10m``, ``1h``."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"invalid duration {text!r} (use e.g. 5s, 500ms, 10m, 1h)")
    value = float(match.group(1)) * _SCALE[match.group(2)]
    if value <= 0:
        raise ValueError(f"duration {text!r} must be more than 0")
    return value


def parse_listen(text: str) -> ListenAddress:
    """``HOST:PORT``: an IP address (``[ADDR]`` for IPv6; ``*`` or nothing for every
    address) and a port."""
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ValueError(f"metrics_listen {text!r}: expected HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in ("", "*"):
        host = "0.0.0.0"  # noqa: S104 - the operator asked for every address
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"metrics_listen {text!r}: {host!r} is not an IP address") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"metrics_listen {text!r}: port must be a number from 1 to 65535")
    return ListenAddress(host, int(port))


def _is_option(key: str) -> TypeGuard[MonitorOption]:
    return key in MONITOR_OPTIONS


def _option(spec: MonitorSpec, key: str, value: str) -> MonitorSpec:
    if not _is_option(key):
        raise ValueError(f"unknown option {key!r} (options: {', '.join(MONITOR_OPTIONS)})")
    match key:
        case "interval":
            return replace(spec, interval=parse_seconds(value))
        case "timeout":
            return replace(spec, timeout=parse_seconds(value))
        case "window":
            return replace(spec, window=parse_seconds(value))
        case "restarts":
            if not value.isdigit():
                raise ValueError(f"restarts={value!r}: must be a whole number, 0 or more")
            return replace(spec, restarts=int(value))
        case "check":
            argv = tuple(shlex.split(value))
            if not argv or not argv[0].startswith("/"):
                raise ValueError(f"check={value!r}: must start with an absolute path")
            return replace(spec, check=argv)
        case _:
            assert_never(key)


def _monitor(words: list[str], lineno: int, known: set[str]) -> MonitorSpec:
    if not words:
        raise ValueError("monitor: name the resource, as haresources writes it")
    resource = parse_resource(words[0]).text
    if resource not in known:
        raise ValueError(
            f"monitor: no resource {words[0]!r} in haresources (write it as haresources "
            "does, e.g. httpd or IPaddr::10.0.0.3)"
        )
    spec = MonitorSpec(resource, line=lineno)
    seen: set[str] = set()
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not value:
            raise ValueError(f"monitor {resource}: {word!r} is not OPTION=VALUE")
        if key in seen:
            raise ValueError(f"monitor {resource}: {key}= given twice")
        seen.add(key)
        try:
            spec = _option(spec, key, value)
        except ValueError as exc:
            raise ValueError(f"monitor {resource}: {exc}") from None
    return spec


class _Reader(IssueList):
    """The state of one pass over the file."""

    def __init__(self, path: str, groups: Sequence[ResourceGroup]) -> None:
        super().__init__(path)
        self.known = {r.text for g in groups for r in g.resources}
        self.monitors: dict[str, MonitorSpec] = {}
        self.listen: ListenAddress | None = None

    def directive(self, name: str, args: list[str], lineno: int) -> None:
        """One line; ``ValueError`` says what is wrong with it."""
        if name == "monitor":
            spec = _monitor(args, lineno, self.known)
            if spec.resource in self.monitors:
                first = self.monitors[spec.resource].line
                raise ValueError(f"monitor {spec.resource}: already given on line {first}")
            self.monitors[spec.resource] = spec
            if spec.check is not None and not os.access(spec.check[0], os.X_OK):
                self.issue(
                    lineno,
                    f"monitor {spec.resource}: check command {spec.check[0]} is not an "
                    "executable file here",
                    Severity.WARNING,
                )
        elif name == "metrics_listen":  # the last one counts
            if len(args) != 1:
                raise ValueError("metrics_listen takes one HOST:PORT")
            self.listen = parse_listen(args[0])
        else:
            raise ValueError(
                f"unknown directive {name!r} (pyhb.cf knows monitor and metrics_listen)"
            )


def parse_pyhbcf(
    text: str, path: str, groups: Sequence[ResourceGroup]
) -> tuple[PyhbSettings, list[ConfigIssue]]:
    """The settings in pyhb.cf ``text`` (read from ``path``) and every issue found."""
    reader = _Reader(path, groups)
    for lineno, raw in enumerate(text.split("\n"), start=1):
        try:
            words = shlex.split(raw, comments=True)
        except ValueError as exc:
            reader.issue(lineno, f"cannot split the line into words: {exc}")
            continue
        if not words:
            continue
        try:
            reader.directive(words[0].lower(), words[1:], lineno)
        except ValueError as exc:
            reader.issue(lineno, str(exc))
    return PyhbSettings(tuple(reader.monitors.values()), reader.listen), reader.issues
