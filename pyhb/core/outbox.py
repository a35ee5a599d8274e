"""What we send: each message numbered, composed (``core.compose``), signed, kept for
retransmission (``core.seqno.SendHistory``) and queued for the shell, which sends every
datagram on every medium; and the last few sent, so that one coming back (a broadcast or
multicast loops back to its sender) is known as ours without decoding it.

Part of the engine; never imports asyncio, socket, subprocess, time, os or random.
"""

from __future__ import annotations

from collections import deque

from pyhb.config.model import ClusterConfig, node_key
from pyhb.core.compose import Composer, Pair
from pyhb.core.peers import PeerTable
from pyhb.core.seqno import SendHistory
from pyhb.wire.auth import Signer
from pyhb.wire.fields import TEXT_ENCODING, TEXT_ERRORS

RECENT_SENT = 8  # own datagrams remembered to recognise them when they loop back


def wire_name(config: ClusterConfig) -> bytes:
    """The local node's name as it is on the wire (``src`` of our messages)."""
    return node_key(config.local_node).encode(TEXT_ENCODING, TEXT_ERRORS)


class Outbox:
    """Our outgoing datagrams, from composing to handing them to the shell."""

    def __init__(
        self,
        compose: Composer,
        signer: Signer,
        history: SendHistory,
        peers: PeerTable,
        *,
        local: str,
        uuid: bytes,
    ) -> None:
        self.compose = compose
        self.signer = signer  # replaced on a reload (``Engine.reconfigure``)
        self.history = history
        self._peers = peers
        self._local = local
        self._uuid = uuid
        self._queue: list[bytes] = []
        # Our last datagrams as sent (``core.receiver`` drops them when they come back).
        self.recent: deque[bytes] = deque(maxlen=RECENT_SENT)

    def _dest_uuid(self, dest: str | None) -> bytes | None:
        if dest is None:
            return None
        if dest == self._local:
            return self._uuid
        peer = self._peers.get(dest)
        return peer.uuid if peer else None

    def send(
        self, mtype: str, fields: list[tuple[str, str]], *, dest: str | None, wall: float
    ) -> tuple[int | None, list[Pair]]:
        """Queue one message; its seq (None for NS_ types, which have none) and pairs."""
        seq = None if mtype.startswith("NS_") else self.history.allocate()
        pairs = self.compose.build(
            mtype, fields, seq=seq, wall=wall, dest=dest, dest_uuid=self._dest_uuid(dest)
        )
        data = self.signer.datagram_of(pairs)
        if seq is None:
            self._queue.append(data)
        else:
            self.record(seq, data)
        return seq, pairs

    def verbatim(self, fields: list[tuple[str, str | bytes]], wall: float) -> list[Pair]:
        """Queue a message composed by an API client (``t`` first; a ``dest`` among its
        fields addresses it) with our trailer; returns the message as sent, but ``auth``."""
        dest = next((v for k, v in fields if k == "dest" and isinstance(v, str)), None)
        seq = self.history.allocate()
        pairs = self.compose.verbatim(fields, seq=seq, wall=wall, dest_uuid=self._dest_uuid(dest))
        self.record(seq, self.signer.datagram_of(pairs))
        return pairs

    def record(self, seq: int, data: bytes) -> None:
        """Queue the datagram numbered ``seq``, kept for retransmission."""
        self.history.record(seq, data)
        self._queue.append(data)

    def resend(self, data: bytes) -> None:
        """Queue one of our datagrams again, as it was sent (a retransmission)."""
        self._queue.append(data)

    def take(self) -> list[bytes]:
        """The datagrams queued since the last call (remembered as recently sent)."""
        out, self._queue = self._queue, []
        self.recent.extend(out)
        return out
