"""API clients: sign-on, requests, messages to and from the cluster (docs/api.md).

Sans-I/O: ``Sessions`` is fed the messages clients send (``receive``), the cluster's
messages and the engine's node and link changes, and writes framed replies through each
client's ``Conn``. What 3.0.6's ``hb_api.c`` does, in the same order:

* the first message must be ``signon``; the client's claimed pid, uid and gid must be
  its socket's (``SO_PEERCRED``), and ``access`` must admit it. A named client's
  sign-on and sign-off go to the cluster as ``hbapi-clstat`` (``st=join``/``leave``);
* requests are answered by ``requests.ANSWERS`` or here (``clientstatus``, filters,
  signals); ``clientstatus`` of a live peer is asked of that peer (``query-cstatus``)
  and its ``respond-cstatus`` is routed back by ``to_id``;
* any other message from a named client goes to the cluster with its ``from_id``,
  ``to_id`` (its own name: it reaches the clients of that name on every node) and
  ``client_gen``; a casual client that tries is dropped. ``ask_resources`` with
  ``info=me`` (ipfail giving up) is the standby request hb_standby makes: 3.0.6 acts on
  its own copy of it, pyhb hands it to the engine as ``Standby`` as for the FIFO;
* cluster messages are handed to every signed-on client whose filter keeps them, or to
  the one client their ``to_id`` names; our own go to local clients at once, as the
  loop-back does in 3.0.6.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pyhb.api import access, ipc
from pyhb.api.requests import ANSWERS, NodeQueries, bad_request, find_node, response
from pyhb.config.model import node_key
from pyhb.core.events import Command, RscHold, Standby
from pyhb.wire.message import HaMessage, Pair

log = logging.getLogger(__name__)

KEEPIT = 0x01  # the treatment of every message a node keeps (hb_api_core.h)
DEBUG_TREATMENTS = 0x3E  # dropped, duplicate, API call, no change, protocol
ALL_TREATMENTS = KEEPIT | DEBUG_TREATMENTS
ONLINE, OFFLINE = "online", "offline"
STANDBY_WORDS = {"all": RscHold.ALL, "foreign": RscHold.FOREIGN, "local": RscHold.LOCAL}


class NodeApi(NodeQueries, Protocol):
    """The node as the API sees it: the queries, plus sending to the cluster."""

    @property
    def local(self) -> str:
        """This node's name."""
        ...

    def signon_fields(self) -> list[Pair]:
        """deadtime, keepalive, node, hbversion, pacemaker, logfacility: signon's reply."""
        ...

    def send(self, fields: Sequence[Pair]) -> HaMessage:
        """Send a message (``t`` first) to the cluster; returns it as sent."""
        ...

    def request(self, cmd: Command) -> str | None:
        """An operator command, as from the FIFO: None if accepted, else why not."""
        ...


@dataclass(eq=False)
class Client:
    """One connection; ``pid`` is 0 until it signed on."""

    peer_pid: int
    peer_uid: int
    peer_gid: int
    write: Callable[[bytes], bool]  # False: the client cannot take more, drop it
    pid: int = 0
    client_id: str = ""
    casual: bool = True
    uid: int = -1
    generation: int = 0
    types: int = KEEPIT
    signal: int = 0
    gone: str | None = None  # why it is to be dropped


class Sessions:
    """Every API client of this node."""

    def __init__(self, node: NodeApi, grants: dict[str, access.Grant]) -> None:
        self.node = node
        self.grants = grants
        self.clients: list[Client] = []
        self._generation = 0
        self.own_uid = os.getuid()

    # -- connections ---------------------------------------------------------------------

    def connected(self, client: Client) -> None:
        self.clients.append(client)

    def disconnected(self, client: Client) -> None:
        """The connection is gone (or dropped): a named client's leave is announced."""
        if client not in self.clients:
            return
        self.clients.remove(client)
        if client.pid and not client.casual:
            reason = client.gone or "EOF"
            leave = [
                ("t", "hbapi-clstat"),
                ("st", "leave"),
                ("from_id", client.client_id),
                ("to_id", client.client_id),
                ("src", self.node.local),
                ("info", reason),
                ("client_gen", str(client.generation)),
            ]
            if reason == "signoff":  # make sure it knows it is signed off
                self._write(client, HaMessage(tuple(leave)))
            self._to_cluster(leave)
            log.info("API client %s (pid %d) signed off: %s", client.client_id, client.pid, reason)

    def _write(self, client: Client, msg: HaMessage) -> None:
        if client.gone is not None and client.gone != "signoff":
            return
        if not client.write(ipc.encode(msg)):
            client.gone = client.gone or "sendfail"
            return
        if client.signal and client.pid:
            try:
                os.kill(client.pid, client.signal)
            except ProcessLookupError:
                client.gone = client.gone or "died"
            except OSError:
                pass

    # -- from clients --------------------------------------------------------------------

    def receive(self, client: Client, msg: HaMessage) -> bool:
        """One message from ``client``; afterwards ``client.gone`` says if it is dropped.
        True if it was a message for the cluster (the server paces those)."""
        if not client.pid:
            self._signon(client, msg)
            return False
        if msg.type != "hbapi-req":
            self._forward(client, msg)
            return True
        self._request(client, msg)
        return False

    def _request(self, client: Client, msg: HaMessage) -> None:
        reqtype, fromid, pid = msg.get("reqtype"), msg.get("from_id"), msg.get("pid")
        if reqtype is None or (fromid is None and pid is None):
            log.error("API request without from_id/pid/reqtype from pid %d", client.peer_pid)
            return
        if self._find(fromid, pid) is not client:
            log.error("API request in another client's name (from_id %s, pid %s)", fromid, pid)
            return
        special = self._SPECIAL.get(reqtype)
        if special is not None:
            special(self, client, msg)
            return
        answer = ANSWERS.get(reqtype)
        if answer is None:
            log.error("Unknown API request %r from %s", reqtype, client.client_id)
            self._write(client, bad_request(reqtype, None))
            return
        for reply in answer(self.node, msg):
            self._write(client, reply)

    def _find(self, client_id: str | None, pid: str | None) -> Client | None:
        for c in self.clients:
            if not c.pid:
                continue
            if pid is not None and pid.isdigit() and c.pid == int(pid):
                return c
            if client_id is not None and c.client_id == client_id:
                return c
        return None

    def _signon(self, client: Client, msg: HaMessage) -> None:
        client.generation = self._generation
        self._generation += 1
        pid, fromid = msg.get("pid"), msg.get("from_id")
        if msg.type != "hbapi-req" or msg.get("reqtype") != "signon" or (not pid and not fromid):
            log.error("API client pid %d: first message is not a signon", client.peer_pid)
            client.gone = "bad signon"
            return
        reason = self._admit(client, pid, fromid, msg)
        fields: list[Pair] = [("t", "hbapi-resp"), ("reqtype", "signon")]
        if reason is not None:
            fields.append(("info", reason))
        fields.append(("result", "OK" if reason is None else "badreq"))
        fields += self.node.signon_fields()
        if reason is not None:
            log.warning("API client [%s] pid %s refused: %s", fromid or pid, pid, reason)
            self._write(client, HaMessage(tuple(fields)))
            client.gone = reason
            client.pid = 0
            return
        if not client.casual:
            self._to_cluster(
                [
                    ("t", "hbapi-clstat"),
                    ("st", "join"),
                    ("from_id", client.client_id),
                    ("to_id", client.client_id),
                    ("src", self.node.local),
                    ("info", "signon"),
                    ("client_gen", str(client.generation)),
                ]
            )
        self._write(client, HaMessage(tuple(fields)))

    def _admit(
        self, client: Client, pid: str | None, fromid: str | None, msg: HaMessage
    ) -> str | None:
        if pid is None or not pid.isdigit() or int(pid) <= 0:
            return "bad pid"
        if self._find(fromid, None) is not None:
            return "duplicate add request"
        client.pid = int(pid)
        client.client_id = fromid if fromid is not None else pid
        client.casual = client.client_id == pid
        uid, gid = msg.get("uid"), msg.get("gid")
        if uid is None or gid is None or not _is_int(uid) or not _is_int(gid):
            return "invalid id info"
        if int(uid) != client.peer_uid or int(gid) != client.peer_gid:
            return "incorrect/false credentials"
        client.uid = client.peer_uid
        refused = access.refusal(
            self.grants, client.client_id, client.casual, client.peer_uid, client.peer_gid
        )
        if refused is None and client.peer_pid > 0 and client.peer_pid != client.pid:
            refused = "pid mismatch"
        return refused

    def _signoff(self, client: Client, msg: HaMessage) -> None:
        client.gone = "signoff"

    def _setfilter(self, client: Client, msg: HaMessage) -> None:
        mask = _hex(msg.get("fmask"))
        if mask is None or not mask & ALL_TREATMENTS:
            self._write(client, bad_request("setfilter"))
            return
        if mask & DEBUG_TREATMENTS and client.uid not in (0, self.own_uid):
            self._write(client, bad_request("setfilter", "EPERM"))
            return
        client.types = mask
        self._write(client, response("setfilter"))

    def _setsignal(self, client: Client, msg: HaMessage) -> None:
        raw = msg.get("signal")
        if raw is None or not raw.isdigit():
            self._write(client, bad_request("setsignal", None))
            return
        sig = int(raw)
        if sig in (signal.SIGKILL, signal.SIGSTOP) or sig >= 32:
            self._write(client, bad_request("setsignal"))
            return
        client.signal = sig
        self._write(client, response("setsignal"))

    def _sendqlen(self, client: Client, msg: HaMessage) -> None:
        """Accepted without an answer, as in 3.0.6; pyhb's queue is bounded by bytes."""

    def _clientstatus(self, client: Client, msg: HaMessage) -> None:
        snap = self.node.snapshot()
        name, cname, fromid = msg.get("node"), msg.get("cn"), msg.get("from_id")
        node = find_node(snap, name)
        if node is None or cname is None or fromid is None:
            self._write(client, bad_request("clientstatus"))
            return
        subt: Pair = ("subt", "respond-cstatus")
        if node_key(node.name) == node_key(self.node.local):
            cs = ONLINE if self._find(cname, None) is not None else OFFLINE
            self._write(client, response("clientstatus", subt, ("cs", cs)))
        elif str(node.status) != "active":
            self._write(client, response("clientstatus", subt, ("cs", OFFLINE)))
        else:
            query = [("t", "query-cstatus"), ("dest", node.name), ("cn", cname)]
            self._to_cluster([*query, ("from_id", fromid)])

    _SPECIAL: dict[str, Callable[[Sessions, Client, HaMessage], None]] = {
        "signoff": _signoff,
        "setfilter": _setfilter,
        "setsignal": _setsignal,
        "set_sendqlen": _sendqlen,
        "clientstatus": _clientstatus,
    }

    def _forward(self, client: Client, msg: HaMessage) -> None:
        """A message a client sends to the cluster."""
        if client.casual:
            log.info("API: general message from casual client %s: dropped", client.client_id)
            client.gone = "badclient"
            return
        if not msg.fields or msg.fields[0][0] != "t" or not msg.type:
            log.error("API client %s sent a message without a type first", client.client_id)
            return
        hold = STANDBY_WORDS.get(msg.get("rsc_hold") or "")
        if msg.type == "ask_resources" and msg.get("info") == "me" and hold is not None:
            refused = self.node.request(Standby(hold))
            log.info("API client %s asks for standby (%s): %s", client.client_id, hold,
                     refused or "accepted")  # fmt: skip
            return
        marked = msg.with_fields(
            ("from_id", client.client_id),
            ("to_id", client.client_id),
            ("client_gen", str(client.generation)),
        )
        pairs = [(n, v) for n, v in marked.fields if isinstance(v, str | bytes)]
        self._to_cluster(pairs)

    # -- to and from the cluster ---------------------------------------------------------

    def _to_cluster(self, fields: Sequence[Pair]) -> None:
        sent = self.node.send(fields)
        dest = sent.get("dest")
        if dest is None or node_key(dest) == node_key(self.node.local):
            self.cluster_message(self.node.local, sent)

    def cluster_message(self, src: str, msg: HaMessage) -> None:
        """A message for this node from the cluster (``src`` may be this node)."""
        if msg.type == "query-cstatus":
            self._answer_query(src, msg)
            return
        self.deliver(msg)

    def _answer_query(self, src: str, msg: HaMessage) -> None:
        cname, fromid = msg.get("cn"), msg.get("from_id")
        if cname is None or fromid is None:
            return
        cs = ONLINE if self._find(cname, None) is not None else OFFLINE
        self._to_cluster(
            [
                ("t", "respond-cstatus"),
                ("dest", msg.get("src") or src),
                ("result", "OK"),
                ("cn", cname),
                ("to_id", fromid),
                ("cs", cs),
            ]
        )

    def deliver(self, msg: HaMessage) -> None:
        """Hand ``msg`` to the clients that keep it, or to the one its ``to_id`` names."""
        to_id = msg.get("to_id")
        for client in list(self.clients):
            if not client.pid or (to_id is not None and to_id != client.client_id):
                continue
            if client.types & KEEPIT:
                self._write(client, msg)
            if to_id is not None:
                break

    def node_changed(self, node: str, status: str, wall: float) -> None:
        """The engine saw a node's status change: tell the clients as 3.0.6 does."""
        if status == "dead":
            fields: list[Pair] = [("t", "status"), ("seq", "1"), ("ts", f"{int(wall):x}")]
            fields += [("src", node), ("st", status)]
        else:
            fields = [("t", "status"), ("src", node), ("st", status)]
        self.deliver(HaMessage(tuple(fields)))

    def link_changed(self, node: str, link: str, status: str) -> None:
        fields = (("t", "ifstat"), ("node", node), ("ifname", link), ("st", status))
        self.deliver(HaMessage(fields))


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _hex(text: str | None) -> int | None:
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None
