"""Where the metrics page listens: ``metrics_listen HOST:PORT`` in /etc/ha.d/pyhb.cf.

A reader of that one directive, kept apart so that pyhb.cf's full parser can take its
place (docs/metrics.md). Imports the stdlib and ``pyhb.errors`` only.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pyhb.errors import PyhbError

PYHB_CF = "pyhb.cf"


class MetricsConfigError(PyhbError):
    """``metrics_listen`` is malformed, or its address cannot be listened on."""


def parse_listen(value: str, where: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[V6ADDR]:PORT`` for IPv6; ``*`` or an empty host for all
    addresses) -> (host, port); ``where`` (``file:line``) starts the error message."""
    host, sep, port_text = value.rpartition(":")
    if not sep:
        raise MetricsConfigError(f"{where}: metrics_listen {value!r}: expected HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in ("", "*"):
        host = "0.0.0.0"  # noqa: S104 - the operator asked for every address
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise MetricsConfigError(
            f"{where}: metrics_listen {value!r}: {host!r} is not an IP address"
        ) from None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise MetricsConfigError(
            f"{where}: metrics_listen {value!r}: port must be a number from 1 to 65535"
        )
    return host, int(port_text)


def read_metrics_listen(confdir: Path) -> tuple[str, int] | None:
    """The ``metrics_listen`` address of ``confdir``/pyhb.cf, or None (no file, no line).

    pyhb.cf is written like ha.cf: one ``directive value`` per line, ``#`` comments.
    Only ``metrics_listen`` is read here (the last one counts); other directives are
    someone else's business.
    """
    path = confdir / PYHB_CF
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MetricsConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    found: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words or words[0].lower() != "metrics_listen":
            continue
        where = f"{path}:{number}"
        if len(words) != 2:
            raise MetricsConfigError(f"{where}: metrics_listen takes one HOST:PORT")
        found = parse_listen(words[1], where)
    return found
