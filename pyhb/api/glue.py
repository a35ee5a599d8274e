"""The API's view of the engine: its snapshot and peer table, read only, and the one way
to send (``Engine.send_verbatim``). The daemon builds it once engine and transport exist."""

from __future__ import annotations

import syslog
from collections.abc import Callable, Sequence
from typing import Protocol

from pyhb.api.requests import HBVERSION
from pyhb.clock import Instant
from pyhb.config.model import node_key
from pyhb.core.engine import Engine
from pyhb.core.events import Command
from pyhb.core.snapshot import Snapshot
from pyhb.wire.message import HaMessage, Pair

#: What 3.0.6's signon reply names as its version (the package's build of 3.0.6);
#: ``cl_status hbstatus -v`` and ``api_test`` print it.
SIGNON_VERSION = f"{HBVERSION} (node: 958e11be8686759f1b99204c17812f2c2633b169)"

_FACILITIES = {
    name: getattr(syslog, f"LOG_{name.upper()}")
    for name in (
        "auth", "authpriv", "cron", "daemon", "kern", "lpr", "mail", "news", "syslog",
        "user", "uucp", *(f"local{i}" for i in range(8)),
    )
}  # fmt: skip


class Transport(Protocol):
    """The daemon's media: the clock the engine is fed with, and a flush."""

    def now(self) -> Instant: ...

    def kick(self) -> None: ...


class EngineView:
    """``sessions.NodeApi`` over the engine."""

    def __init__(self, engine: Engine, transport: Callable[[], Transport | None]) -> None:
        self.engine = engine
        self._transport = transport  # made after the engine: read when sending

    @property
    def local(self) -> str:
        return self.engine.local

    def snapshot(self) -> Snapshot:
        return self.engine.snapshot()

    def uuid_of(self, node: str) -> bytes | None:
        if node_key(node) == self.engine.local:
            return self.engine.uuid
        peer = self.engine.peers.get(node)
        return peer.uuid if peer is not None else None

    def node_of(self, uuid: bytes) -> str | None:
        if uuid == self.engine.uuid:
            return self.engine.local
        return next((p.name for p in self.engine.peers if p.uuid == uuid), None)

    def signon_fields(self) -> list[Pair]:
        eng = self.engine
        ha = eng.config.ha
        params = eng.config.ha.params
        return [
            ("deadtime", f"{int(eng.deadtime * 1000):x}"),
            ("keepalive", f"{int(eng.keepalive * 1000):x}"),
            ("node", eng.local),
            ("hbversion", SIGNON_VERSION),
            ("pacemaker", params.get("pacemaker", "false")),
            ("logfacility", str(_FACILITIES.get((ha.logfacility or "").lower(), 0))),
        ]

    def request(self, cmd: Command) -> str | None:
        transport = self._transport()
        if transport is None:
            return "heartbeat is starting"
        result = self.engine.request(cmd, transport.now())
        transport.kick()
        return result

    def send(self, fields: Sequence[Pair]) -> HaMessage:
        sendable = [(n, v) for n, v in fields if isinstance(v, str | bytes)]
        transport = self._transport()
        if transport is None:
            raise RuntimeError("the API sends nothing before the media are open")
        pairs = self.engine.send_verbatim(sendable, transport.now())
        transport.kick()
        return HaMessage(tuple(pairs))
