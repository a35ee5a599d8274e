"""Loading and checking a heartbeat configuration directory (ha.cf, authkeys, haresources).

``load_config`` returns a frozen ``ClusterConfig`` or raises ``ConfigError`` carrying every
issue; ``check_config`` returns every issue (errors and warnings) for ``pyhb check``. A
file that cannot be read raises ``ConfigFileError``. Issues name files as
``CONFDIR/NAME`` exactly as CONFDIR was given. This package reads files but never imports
asyncio, socket, subprocess, time or random.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyhb.config.load import DEFAULT_CONFDIR as DEFAULT_CONFDIR
    from pyhb.config.load import ConfigFileError as ConfigFileError
    from pyhb.config.load import check_config as check_config
    from pyhb.config.load import load_config as load_config
    from pyhb.config.load import local_node_name as local_node_name
    from pyhb.config.source import ConfigError as ConfigError
    from pyhb.config.source import ConfigIssue as ConfigIssue
    from pyhb.config.source import Severity as Severity

# Loaded on first use (PEP 562): importing a submodule such as ``pyhb.config.model``,
# as the command-line tools do, does not pull in the parsers and checks.
_LAZY = {
    "DEFAULT_CONFDIR": "pyhb.config.load",
    "ConfigFileError": "pyhb.config.load",
    "check_config": "pyhb.config.load",
    "load_config": "pyhb.config.load",
    "local_node_name": "pyhb.config.load",
    "ConfigError": "pyhb.config.source",
    "ConfigIssue": "pyhb.config.source",
    "Severity": "pyhb.config.source",
}

__all__ = [
    "DEFAULT_CONFDIR",
    "ConfigError",
    "ConfigFileError",
    "ConfigIssue",
    "Severity",
    "check_config",
    "load_config",
    "local_node_name",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyhb.config' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
