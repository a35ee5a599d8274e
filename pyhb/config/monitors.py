"""The settings of pyhb.cf, pyhb's own file next to ha.cf (docs/monitoring.md).

Heartbeat never reads pyhb.cf, so ha.cf, haresources and authkeys stay valid for 3.0.6.
Parsed by ``config.pyhbcf``. Imports stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_INTERVAL = 10.0
DEFAULT_TIMEOUT = 20.0
DEFAULT_RESTARTS = 1
DEFAULT_WINDOW = 600.0


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    """``monitor RESOURCE [interval=] [timeout=] [restarts=] [window=] [check=]``.

    ``resource`` is the haresources word as written there (the bare-IP shorthand expanded
    to ``IPaddr::...``); durations are seconds. ``check`` is an argv run instead of the
    resource's own ``status`` (None: the resource's status).
    """

    resource: str
    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    restarts: int = DEFAULT_RESTARTS
    window: float = DEFAULT_WINDOW
    check: tuple[str, ...] | None = None
    line: int = 0


class ListenAddress(NamedTuple):
    """``metrics_listen HOST:PORT`` (IPv6 as ``[ADDR]:PORT``): the socket address itself."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class PyhbSettings:
    """Everything pyhb.cf says; the defaults when the file is absent (no monitoring)."""

    monitors: tuple[MonitorSpec, ...] = ()
    metrics_listen: ListenAddress | None = None
