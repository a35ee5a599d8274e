"""Which engine events become messages offered to ``rc.d`` scripts, and the environment
of one script run (docs/eventscripts.md).

Heartbeat 3.0.6 hands a message to ``CONFDIR/harc <t lower-cased>`` when ``rc.d`` holds a
script named like its type ``t``. The messages it offers, rebuilt here from the engine's
events:

* a peer's ``status`` whose status changed (``t=status st=NEW src=NODE``);
* ``t=status st=dead src=NODE`` when a node is declared dead;
* link changes: ``t=ifstat node=NODE ifname=LINK st=up|dead``;
* every other message a peer (or this node) sends that no internal handler claims:
  ``hb_takeover``, ``ip-request``, ``ip-request-resp`` (not during shutdown), a client's
  own message types.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyhb.core.events import (
    ClusterMessage,
    HeartbeatLate,
    LinkStateChanged,
    NodeStatus,
    PeerStateChanged,
    StatusChanged,
)

Fields = tuple[tuple[str, str], ...]

#: Message types the daemon handles itself: never offered to rc.d.
CLAIMED = frozenset(
    {
        "status",
        "starting",
        "resource",
        "ask_resources",
        "shutdone",
        "reqnodes",
        "repnodes",
        "hbapi-clstat",
        "query-cstatus",
        "respond-cstatus",
        "addnode",
        "delnode",
        "setweight",
        "setsite",
    }
)
#: Not offered while this node shuts down.
NOT_DURING_SHUTDOWN = frozenset({"ip-request-resp"})

Observed = PeerStateChanged | LinkStateChanged | HeartbeatLate | StatusChanged | ClusterMessage


def offered(ev: Observed, *, local: str, shutting_down: bool) -> Fields | None:
    """The message an rc.d script would be offered for ``ev``, or None.

    Whether a script of that type exists is the caller's business.
    """
    if isinstance(ev, PeerStateChanged):
        if ev.node == local:
            return None
        if ev.new is NodeStatus.DEAD:
            return (("t", "status"), ("st", "dead"), ("src", ev.node))
        if ev.new is NodeStatus.PING:  # a ping node's NS_st, not a status
            return None
        return (("t", "status"), ("st", str(ev.new)), ("src", ev.node))
    if isinstance(ev, LinkStateChanged):
        return (("t", "ifstat"), ("node", ev.node), ("ifname", ev.link), ("st", str(ev.new)))
    if isinstance(ev, ClusterMessage):
        mtype = ev.msg.type
        if not mtype or mtype.startswith("NS_") or mtype in CLAIMED:
            return None
        if shutting_down and mtype in NOT_DURING_SHUTDOWN:
            return None
        # Every string field; binary ones (srcuuid, destuuid) are left out, as in 3.0.6.
        return tuple((k, v) for k, v in ev.msg.fields if isinstance(v, str))
    return None


def job_environment(
    base: Mapping[str, str], fields: Fields, *, ostatus: str, extra: Mapping[str, str]
) -> dict[str, str]:
    """One run's environment: the resource scripts' (the daemon's, HA_* directives,
    HA_CURHOST …), then ``HA_<field>`` for each field of the message, then ``extra``
    (HA_FUNCS, HA_NOARCHBIN …) and ``HA_OSTATUS``, this node's status."""
    env = dict(base)
    seen: set[str] = set()
    for name, value in fields:
        if name in seen or not name or "=" in name or "\0" in name or "\0" in value:
            continue  # the first of a repeated field, as lookups do; no unusable names
        seen.add(name)
        env[f"HA_{name}"] = value
    env.update(extra)
    env["HA_OSTATUS"] = ostatus
    return env
