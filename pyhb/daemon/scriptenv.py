"""The environment and limits of resource and event scripts, as Heartbeat 3.0.6 gives them.

``script_environment``: the daemon's own environment with the ``HA_*`` variables on top;
``runner_limits``: the retry and timeout knobs read from the daemon's environment.
See docs/architecture.md#script-environment.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from pyhb.config.model import AutoFailback, ClusterConfig
from pyhb.daemon.paths import Paths
from pyhb.resources.plan import Timeouts
from pyhb.resources.process import default_path

log = logging.getLogger("pyhb")


def script_environment(config: ClusterConfig, paths: Paths) -> dict[str, str]:
    """The environment 3.0.6 gives resource scripts: the daemon's own, then HA_*.

    As under Heartbeat, scripts inherit the environment the daemon was started with; its
    PATH is followed by the directory of pyhb's own Python (its agents) and the system
    directories, and the HA_* variables (and OCF_ROOT) are set on top.
    See docs/architecture.md#script-environment.
    """
    path = [p for p in os.environ.get("PATH", "").split(":") if p]
    for extra in default_path().split(":"):
        if extra not in path:
            path.append(extra)
    # Heartbeat's children inherit the daemon's environment (the unit's EnvironmentFile,
    # /etc/sysconfig/heartbeat, is how sites hand e.g. OCF_AGENTS to the package's OCF
    # wrapper); the HA_* variables are set on top of it.
    env = dict(os.environ)
    env["PATH"] = ":".join(path)
    env.update({f"HA_{k}": v for k, v in config.ha.params.items()})
    env.update({f"HA_{k}": v for k, v in config.ha.env})
    env.update(
        {
            "HA_CURHOST": config.local_node,
            "HA_DIR": str(paths.confdir),
            "HA_RSCTMP": str(paths.rsctmp),
            "HA_LOGFILE": config.ha.logfile or "/dev/null",
            "HA_DEBUGLOG": config.ha.debugfile or "/dev/null",
            "HA_DATEFMT": "%Y/%m/%d_%T\t",
            "OCF_ROOT": "/usr/lib/ocf",
        }
    )
    if config.ha.auto_failback is not AutoFailback.LEGACY:
        env["HA_NICEFAILBACK"] = "yes"
    # pyhb's agent scripts run pyhb's Python (a venv's, say), not whatever python3 is first.
    env.setdefault("PYHB_PYTHON", sys.executable)
    return env


def runner_limits(environ: Mapping[str, str]) -> dict[str, Any]:
    """Resource-script limits from the daemon's environment.

    ``HA_STOPRETRYMAX`` is heartbeat's own knob (ResourceManager reads it: how many times a
    failing stop is retried, 0 or less = for ever). ``PYHB_RSC_TIMEOUT`` (seconds) bounds
    start and stop, and status at most 20 s; a script still running then has its whole
    process group killed. Bad values are ignored (logged), the defaults stay.
    """
    limits: dict[str, Any] = {}
    raw = environ.get("HA_STOPRETRYMAX")
    if raw:
        try:
            limits["stop_retries"] = int(raw)
        except ValueError:
            log.warning("HA_STOPRETRYMAX=%r is not a number: ignored", raw)
    raw = environ.get("PYHB_RSC_TIMEOUT")
    if raw:
        try:
            secs = float(raw)
        except ValueError:
            secs = 0.0
        if secs > 0:
            limits["timeouts"] = Timeouts(start=secs, stop=secs, status=min(secs, 20.0))
        else:
            log.warning("PYHB_RSC_TIMEOUT=%r is not a positive number: ignored", raw)
    return limits
