"""What a reload applies in place and what waits for a restart."""

from __future__ import annotations

import dataclasses

from pyhb.config.model import (
    AuthKey,
    AuthKeys,
    AuthMethod,
    AutoFailback,
    Bcast,
    ClusterConfig,
    PingNode,
    RespawnClient,
)
from pyhb.daemon.reload import plan_reload
from tests.helpers.sim import make_config


def test_same_configuration_is_unchanged_even_when_lines_moved() -> None:
    old = make_config("a")
    moved = dataclasses.replace(old.ha, media=(Bcast("hb0", 694, line=12),))
    assert plan_reload(old, dataclasses.replace(old, ha=moved)).unchanged


def test_timings_and_keys_are_live_nodes_and_groups_need_a_restart() -> None:
    old = make_config("a")
    new = make_config(
        "a",
        nodes=("a", "b", "c"),
        keepalive=200,
        deadtime=1000,
        auto_failback=AutoFailback.OFF,
        groups=(("b", "10.77.0.101/24/hb0"),),
    )
    new = dataclasses.replace(
        new, authkeys=AuthKeys(active=2, keys=(AuthKey(2, AuthMethod.MD5, b"new"),))
    )
    plan = plan_reload(old, new)
    assert plan.changed == ("keepalive", "deadtime")
    assert plan.needs_restart == ("node", "auto_failback", "haresources")
    assert plan.authkeys_changed


def test_ping_nodes_and_respawn_clients_need_a_restart_unless_only_their_lines_moved() -> None:
    base = make_config("a")

    def with_clients(line: int, ping: str = "10.0.0.1") -> ClusterConfig:
        ha = dataclasses.replace(
            base.ha,
            ping_nodes=(PingNode(ping, (ping,), line),),
            respawn=(RespawnClient("hacluster", "/bin/x", line + 1),),
        )
        return dataclasses.replace(base, ha=ha)

    old = with_clients(5)
    assert plan_reload(old, with_clients(9)).unchanged
    plan = plan_reload(old, with_clients(5, "10.0.0.2"))
    assert plan.needs_restart == ("ping_nodes",)
