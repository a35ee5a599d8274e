"""``hb_takeover [all|foreign|local|failback]``: ask the peer to give us resource groups.

Arguments, messages and exit codes as 3.0.6's script (see ``hb_standby``). Semantics: take
over SET (from our point of view), i.e. the peer goes standby on the mirrored set.

Difference from 3.0.6 (docs/protocol.md#standby-and-takeover): there, ``failback`` is passed
through unmapped and the peer's helper does not know it, so the peer gives away *everything*
(``all``). pyhb reads ``failback`` as "take back our own groups" and asks the peer for
``local`` (from our point of view). Imports ``hb_standby``'s helpers and ``core.events``
only.
"""

from __future__ import annotations

import sys

from pyhb.cli.hb_standby import read_call, send
from pyhb.core.events import TAKEOVER_SETS


def main(argv: list[str] | None = None) -> int:
    """hb_takeover: 0 when the daemon accepted the takeover request, else 1."""
    call = read_call("hb_takeover", argv)
    if isinstance(call, int):
        return call
    _prog, run_dir, word = call
    hold = TAKEOVER_SETS[word]
    return send("hb_takeover", run_dir, lambda client: client.takeover(hold))


if __name__ == "__main__":
    sys.exit(main())
