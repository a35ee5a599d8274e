"""Building outgoing heartbeat messages with 3.0.6's exact field order.

Message-specific fields first, then ``destuuid`` (if ``dest`` names a node whose
UUID we know), ``src``, ``srcuuid``, ``seq`` (not for ``NS_`` types), ``hg``, ``ts``,
``ld`` (not for ``NS_`` types), ``ttl``; the signer appends ``auth`` last.
``repnodes`` puts ``dest`` before ``t`` (docs/protocol.md#standard-fields). The pairs go straight to
``Signer.datagram_of``. Imports nothing of pyhb.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Pair = tuple[str, str | bytes]


@dataclass(slots=True)
class Composer:
    """Adds the standard trailer fields of this node to a message."""

    node: str
    uuid: bytes
    generation: int
    ttl: int
    loadavg: Callable[[], str]

    def build(
        self,
        mtype: str,
        fields: list[tuple[str, str]],
        *,
        seq: int | None,
        wall: float,
        dest: str | None = None,
        dest_uuid: bytes | None = None,
    ) -> list[Pair]:
        """The fields of the full message (without ``auth``), in wire order."""
        pairs: list[Pair] = []
        if dest is not None and mtype == "repnodes":
            pairs += [("dest", dest), ("t", mtype)]
        else:
            pairs.append(("t", mtype))
            if dest is not None:
                pairs.append(("dest", dest))
        pairs += fields
        if dest_uuid is not None:
            pairs.append(("destuuid", dest_uuid))
        pairs += [("src", self.node), ("srcuuid", self.uuid)]
        if seq is not None:
            pairs.append(("seq", f"{seq:x}"))
        pairs += [("hg", f"{self.generation:x}"), ("ts", f"{int(wall):x}")]
        if not mtype.startswith("NS_"):
            pairs.append(("ld", self.loadavg()))
        pairs.append(("ttl", str(self.ttl)))
        return pairs
