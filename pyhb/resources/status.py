"""Heartbeat's "do we own this resource?" rule (ResourceManager ``we_own_resource``).

Only the standard output of ``SCRIPT ARGS status`` is examined, the exit code is ignored
(docs/architecture.md#status-rule):

=================================================  =========
shell pattern on the output                        owned?
=================================================  =========
``*[Nn][Oo][Tt]\\ *[Rr]unning*``                   no
``*[Rr]unning*`` or ``*OK*``                       yes
anything else (empty output too)                   no
=================================================  =========

The first pattern is "not" in any case, one blank, then anything, then ``Running`` or
``running``: ``not currently running`` is stopped, ``notrunning`` is not matched by it.

Pure: imports ``re`` only.
"""

from __future__ import annotations

import re

_NOT_RUNNING = re.compile(r"[Nn][Oo][Tt] .*[Rr]unning", re.DOTALL)
_RUNNING = re.compile(r"[Rr]unning|OK")


def owned_from_status_output(stdout: str) -> bool:
    """True when heartbeat would consider the resource held, from its status output."""
    if _NOT_RUNNING.search(stdout):
        return False
    return _RUNNING.search(stdout) is not None
