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
        return self._trailer(pairs, mtype, seq, wall, dest_uuid)

    def verbatim(
        self, fields: list[Pair], *, seq: int, wall: float, dest_uuid: bytes | None
    ) -> list[Pair]:
        """A message composed elsewhere (an API client's), ``t`` first: its fields keep
        their order, a ``src`` among them stays in place with our name (3.0.6 modifies
        fields in place), and the trailer follows as for ``build``."""
        mtype = str(fields[0][1])
        return self._trailer(list(fields), mtype, seq, wall, dest_uuid)

    def _trailer(
        self,
        pairs: list[Pair],
        mtype: str,
        seq: int | None,
        wall: float,
        dest_uuid: bytes | None,
    ) -> list[Pair]:
        if dest_uuid is not None:
            pairs.append(("destuuid", dest_uuid))
        at = next((i for i, (name, _) in enumerate(pairs) if name == "src"), None)
        if at is None:
            pairs.append(("src", self.node))
        else:
            pairs[at] = ("src", self.node)
        pairs.append(("srcuuid", self.uuid))
        if seq is not None:
            pairs.append(("seq", f"{seq:x}"))
        pairs += [("hg", f"{self.generation:x}"), ("ts", f"{int(wall):x}")]
        if not mtype.startswith("NS_"):
            pairs.append(("ld", self.loadavg()))
        pairs.append(("ttl", str(self.ttl)))
        return pairs
