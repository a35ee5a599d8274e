"""Which engine events are offered to rc.d scripts, and the environment of a run."""

from __future__ import annotations

from pyhb.core.events import (
    ClusterMessage,
    HeartbeatLate,
    LinkStateChanged,
    LinkStatus,
    NodeStatus,
    PeerStateChanged,
    StatusChanged,
)
from pyhb.daemon.rcoffers import job_environment, offered
from pyhb.wire.message import HaMessage


def _offer(ev: object, shutting_down: bool = False) -> dict[str, str] | None:
    fields = offered(ev, local="a", shutting_down=shutting_down)  # type: ignore[arg-type]
    return None if fields is None else dict(fields)


def test_a_peer_declared_dead_is_a_status_dead_message_from_it() -> None:
    ev = PeerStateChanged("b", NodeStatus.ACTIVE, NodeStatus.DEAD)
    assert offered(ev, local="a", shutting_down=False) == (
        ("t", "status"),
        ("st", "dead"),
        ("src", "b"),
    )


def test_a_peers_status_change_is_offered_with_its_new_status() -> None:
    assert _offer(PeerStateChanged("b", NodeStatus.UP, NodeStatus.ACTIVE)) == {
        "t": "status",
        "st": "active",
        "src": "b",
    }


def test_own_status_and_ping_nodes_answering_are_not_status_messages() -> None:
    assert _offer(PeerStateChanged("a", NodeStatus.UP, NodeStatus.ACTIVE)) is None
    assert _offer(PeerStateChanged("gw", NodeStatus.INIT, NodeStatus.PING)) is None
    # A ping node that stops answering is declared dead like any node.
    assert _offer(PeerStateChanged("gw", NodeStatus.PING, NodeStatus.DEAD)) == {
        "t": "status",
        "st": "dead",
        "src": "gw",
    }


def test_link_changes_are_ifstat_messages() -> None:
    assert _offer(LinkStateChanged("b", "eth1", LinkStatus.DEAD)) == {
        "t": "ifstat",
        "node": "b",
        "ifname": "eth1",
        "st": "dead",
    }


def test_late_heartbeats_and_status_refreshes_offer_nothing() -> None:
    assert _offer(HeartbeatLate("b", 3000, False)) is None
    assert _offer(StatusChanged()) is None


def test_a_cluster_message_is_offered_with_its_string_fields_only() -> None:
    msg = HaMessage.of(
        ("t", "hb_takeover"), ("rsc_hold", "all"), ("src", "b"), ("srcuuid", b"\x01\x02"),
        ("seq", "1a"), ("rsc_hold", "second"),
    )  # fmt: skip
    fields = offered(ClusterMessage("b", msg), local="a", shutting_down=False)
    assert fields == (
        ("t", "hb_takeover"), ("rsc_hold", "all"), ("src", "b"), ("seq", "1a"),
        ("rsc_hold", "second"),
    )  # fmt: skip


def test_messages_the_daemon_handles_itself_are_never_offered() -> None:
    for mtype in ("resource", "starting", "ask_resources", "shutdone", "NS_ackmsg", "status"):
        msg = HaMessage.of(("t", mtype), ("src", "b"))
        assert _offer(ClusterMessage("b", msg)) is None, mtype


def test_ip_request_resp_is_not_offered_during_shutdown() -> None:
    msg = HaMessage.of(("t", "ip-request-resp"), ("dest", "a"), ("ipaddr", "x"))
    assert _offer(ClusterMessage("b", msg)) is not None
    assert _offer(ClusterMessage("b", msg), shutting_down=True) is None
    request = HaMessage.of(("t", "ip-request"), ("ipaddr", "x"))
    assert _offer(ClusterMessage("b", request), shutting_down=True) is not None


def test_the_environment_has_the_message_fields_over_the_base_and_the_local_status() -> None:
    base = {"PATH": "/bin", "HA_keepalive": "1", "HA_src": "stale", "HA_OSTATUS": "x"}
    fields = (("t", "mymsg"), ("src", "b"), ("src", "c"), ("bad=name", "v"), ("x", "a\0b"))
    env = job_environment(base, fields, ostatus="active", extra={"HA_FUNCS": "/f"})
    assert env == {
        "PATH": "/bin",
        "HA_keepalive": "1",
        "HA_t": "mymsg",
        "HA_src": "b",  # the first of a repeated field
        "HA_FUNCS": "/f",
        "HA_OSTATUS": "active",
    }
    assert base["HA_src"] == "stale"  # the base is not changed
