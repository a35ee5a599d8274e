"""Steady statuses read at the node's own timer and dated by their arrival (``net.split``),
on simulated time: what it saves, and that liveness is judged as if read at once.

The scenarios of ``test_cluster_sim`` (start, kill, standby, partition, freeze) all run
in this mode too; these tests cover what is particular to it.
"""

from __future__ import annotations

import dataclasses

from pyhb.clock import Instant
from pyhb.core.engine import Engine
from pyhb.core.events import OwnStatusesKnown
from pyhb.wire.message import STEADY_PREFIX
from tests.helpers.sim import WALL0, ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"


def _settled(lazy: bool, names: tuple[str, ...] = ("a", "b", "c"), **kw: object) -> ClusterSim:
    cfgs = {n: make_config(n, names, **kw) for n in names}  # type: ignore[arg-type]
    sim = ClusterSim(cfgs, lazy=lazy)
    for i, n in enumerate(names):
        sim.run_for(0.037 * i)  # out of step, so no two timers coincide
        sim.start(n)
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(5)
    return sim


def _sent(sim: ClusterSim, kind: bytes, since: float) -> int:
    return sum(1 for t, _, data in sim.wire if t >= since and b"(0)t=%s," % kind in data)


def test_a_settled_node_wakes_once_per_keepalive_whatever_the_cluster_size() -> None:
    """Three nodes at keepalive 200 ms for 60 s: each wakes for its own timer and for the
    acknowledgements of its packets (one in ten), not for every peer's status."""
    for lazy, low, high in ((True, 1.0, 1.02), (False, 2.0, 5.0)):
        sim = _settled(lazy, keepalive=200, deadtime=1000, warntime=500)
        for node in sim.nodes.values():
            node.wakeups = 0
        start = sim.now
        sim.run_for(60)
        for node in sim.nodes.values():
            per_keepalive = node.wakeups / (60 / 0.2)
            assert low <= per_keepalive <= high, (lazy, node.name, per_keepalive)
        assert _sent(sim, b"NS_rexmit", start) == 0  # no quiet-peer probes
        for name in sim.nodes:
            assert "Late heartbeat" not in sim.log_text(name)


def test_a_dead_peer_is_declared_dead_deadtime_after_its_last_status_arrived() -> None:
    """Read lazily or not, "is dead" comes deadtime after the last status arrived: the
    arrival time is what counts, not the timer at which the status was read."""
    seen = {}
    for lazy in (True, False):
        sim = _settled(lazy, names=("a", "b"), keepalive=1000, deadtime=5000)
        sim.run_for(0.5)
        sim.kill("a")
        last = max(t for t, src, data in sim.wire if src == "a" and b"(0)t=status," in data)
        sim.run_until(lambda s=sim: "node a: is dead" in s.log_text("b"))
        dead = next(t for t, n, line in sim.history if n == "b" and "a: is dead" in line)
        seen[lazy] = dead - last
    assert 5.0 <= seen[True] <= 5.0 + 0.002
    assert abs(seen[True] - seen[False]) < 0.002


def test_a_restarting_peer_is_noticed_at_once() -> None:
    """A restart announces itself with init/up statuses, which are not steady: the peer
    sees the restart as it happens, not at its next timer."""
    sim = _settled(True, names=("a", "b"), keepalive=1000, deadtime=5000)
    sim.kill("b")
    sim.run_for(0.3)
    since = len(sim.history)
    sim.start("b")
    started = sim.now
    sim.run_until(lambda: any("Heartbeat restart on node b" in h[2] for h in sim.history[since:]))
    assert sim.now - started < 0.01


def test_a_healed_partition_is_noticed_as_soon_as_statuses_flow_again() -> None:
    """While a peer is dead its statuses are read as they come (``statuses_wanted``): a
    healed partition converges as fast as when every datagram is read at once."""
    took = {}
    for lazy in (True, False):
        sim = _settled(lazy, names=("a", "b"), keepalive=1000, deadtime=5000)
        b = sim.nodes["b"].engine
        assert b is not None
        assert not b.statuses_wanted()
        sim.cut.add(frozenset(("a", "b")))
        sim.run_until(lambda s=sim: s.owners(VIP) == ["a", "b"])
        assert b.statuses_wanted()
        sim.run_for(3.3)
        sim.cut.clear()
        took[lazy] = sim.run_until(lambda s=sim: s.owners(VIP) == ["a"])
        assert not b.statuses_wanted()
    assert took[True] <= took[False] + 0.01, took


def test_a_late_status_is_dated_by_arrival_but_never_before_a_stall_restart() -> None:
    """Engine level: a status read 0.6 s after it arrived counts from its arrival; after a
    stall restarted the deadlines, an older arrival does not move them back."""
    sim = _settled(True, names=("a", "b"), keepalive=1000, deadtime=5000)
    sim.cut.add(frozenset(("a", "b")))  # a's next statuses are sent but not delivered
    cut_at = sim.now
    sim.run_for(2.5)
    sim.cut.clear()
    unseen = [d for t, src, d in sim.wire if t > cut_at and src == "a" and b"st=active" in d]
    assert len(unseen) >= 2
    b = sim.nodes["b"].engine
    assert b is not None
    peer = b.peers.get("a")
    assert peer is not None
    addr = ("10.77.0.1", 694)
    now = sim.now
    b.receive_datagram(unseen[0], "hb0", addr, Instant(now, WALL0 + now), now - 0.6)
    assert peer.last_status == now - 0.6
    assert peer.links["hb0"].last_heard == now - 0.6
    later = now + 20  # b was not scheduled for 20 s: its deadlines restart at `later`
    b.handle_timer(Instant(later, WALL0 + later))
    assert "not scheduled" in sim.log_text("b") or peer.last_status == later
    assert peer.last_status == later
    b.receive_datagram(unseen[1], "hb0", addr, Instant(later, WALL0 + later), later - 5)
    assert peer.last_status == later
    assert peer.links["hb0"].last_heard == later


def test_lossy_link_costs_no_false_failover_when_statuses_are_read_late() -> None:
    """30 % loss both ways for 10 simulated minutes at keepalive 200 ms / deadtime 1 s:
    the quiet-peer probe, a keepalive later than when reading at once, still brings
    the lost statuses back in time."""
    sim = _settled(True, names=("a", "b"), keepalive=200, deadtime=1000, warntime=500)
    sim.loss = {("a", "b"): 0.3, ("b", "a"): 0.3}
    sim.run_for(600)
    for name in ("a", "b"):
        assert "is dead" not in sim.log_text(name)
    assert sim.owners(VIP) == ["a"]


def test_once_every_link_brought_our_packets_back_the_shell_learns_our_status_prefix() -> None:
    """``OwnStatusesKnown`` comes when our own packet comes back on the last dead link,
    with the bytes every steady status of ours starts with (and a peer's does not);
    a reload that changes deadtime sends the new one."""
    cfg = make_config("a", ("a", "b"), keepalive=200, deadtime=1000, warntime=500)
    t = 100.0
    engine = Engine(cfg, uuid=b"a" * 16, generation=5, now=Instant(t, WALL0 + t), rand=lambda: 0.5)
    first = engine.datagrams_to_send(Instant(t, WALL0 + t))[0]

    def known() -> list[bytes]:
        out = []
        while (ev := engine.next_event()) is not None:
            if isinstance(ev, OwnStatusesKnown):
                out.append(ev.prefix)
        return out

    assert known() == []
    engine.receive_datagram(first, "hb0", ("10.77.0.1", 694), Instant(t, WALL0 + t))
    (prefix,) = known()
    engine.receive_datagram(first, "hb0", ("10.77.0.1", 694), Instant(t, WALL0 + t))
    assert known() == []  # once
    for _ in range(60):  # through initdead: alone, the node goes active
        t += 0.2
        engine.handle_timer(Instant(t, WALL0 + t))
    sent = engine.datagrams_to_send(Instant(t, WALL0 + t))
    steady = [d for d in sent if d.startswith(STEADY_PREFIX)]
    assert steady
    assert all(d.startswith(prefix) for d in steady)
    assert prefix.endswith(b"27:(1)srcuuid=" + b"a" * 16 + b",")
    peer = make_config("b", ("a", "b"), keepalive=200, deadtime=1000, warntime=500)
    other = Engine(peer, uuid=b"b" * 16, generation=5, now=Instant(t, WALL0 + t), rand=lambda: 0.5)
    assert not any(d.startswith(prefix) for d in other.datagrams_to_send(Instant(t, WALL0 + t)))
    longer = dataclasses.replace(cfg, ha=dataclasses.replace(cfg.ha, deadtime=2000))
    engine.reconfigure(longer, Instant(t, WALL0 + t))
    (again,) = known()
    assert again != prefix
    assert b"(0)dt=7d0," in again
