"""Whole-cluster scenarios on simulated time: membership, takeover, hand-over."""

from __future__ import annotations

import itertools

import pytest

from pyhb.config.model import AutoFailback
from pyhb.core.events import LinkStatus, RscHold, Shutdown, Standby, Takeover
from pyhb.core.seqno import Lookup, SendHistory
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"


@pytest.fixture(autouse=True, params=["prompt", "lazy"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every scenario runs twice: nodes reading every datagram as it comes, and nodes
    reading steady statuses at their own timer (media split by ``net.split``)."""
    monkeypatch.setattr(ClusterSim, "LAZY", request.param == "lazy")
    return str(request.param)


def pair(**kw: object) -> ClusterSim:
    return ClusterSim({n: make_config(n, **kw) for n in ("a", "b")})  # type: ignore[arg-type]


def test_two_nodes_starting_together_put_the_group_on_its_preferred_node_at_once() -> None:
    """Both start together: the group runs on a, and only a, well within 2 s."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    took = sim.run_until(lambda: sim.owners(VIP) == ["a"])
    assert took < 2.0
    sim.run_for(30)
    assert sim.owners(VIP) == ["a"]
    assert sim.nodes["a"].engine is not None
    assert sim.nodes["a"].engine.snapshot().rscstatus == "local"
    assert "Comm_now_up(): updating status to active" in sim.log_text("b")


def test_lone_node_takes_everything_after_initdead() -> None:
    """A node alone declares its peer dead after initdead and takes every group."""
    sim = pair()
    sim.start("b")
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert 10.0 <= took < 10.5
    assert "node a: is dead" in sim.log_text("b")


@pytest.mark.parametrize(("mode", "final"), [(AutoFailback.ON, ["a"]), (AutoFailback.OFF, ["b"])])
def test_returning_preferred_node_gets_its_group_back_only_with_auto_failback_on(
    mode: AutoFailback, final: list[str]
) -> None:
    """b holds a's group; a joins: auto_failback on moves it back, off leaves it."""
    sim = pair(auto_failback=mode)
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    sim.start("a")
    sim.run_for(5)
    assert sim.owners(VIP) == final
    assert sim.max_owners(VIP) <= 1


def test_killed_owner_is_replaced_within_deadtime() -> None:
    """kill -9 of the owner: b runs the group no later than deadtime after the kill."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(3.3)
    sim.kill("a")
    sim.nodes["a"].running.clear()
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert 4.0 < took <= 5.0 + 0.05
    assert "node a: is dead" in sim.log_text("b")


def test_standby_hands_the_group_over_in_milliseconds() -> None:
    """hb_standby on the owner moves the group to the peer after the scripts ran."""
    sim = pair(keepalive=1000)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(2.3)
    assert sim.request("a", Standby(RscHold.ALL)) is None
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert took < 0.1
    sim.run_for(5)
    assert sim.owners(VIP) == ["b"]  # auto_failback does not undo an operator standby
    assert sim.nodes["b"].engine is not None
    assert sim.nodes["b"].engine.snapshot().rscstatus == "all"


def test_takeover_pulls_the_group_to_the_asking_node() -> None:
    """hb_takeover on b makes a go standby; b ends with the group."""
    sim = pair(auto_failback=AutoFailback.OFF)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    assert sim.request("b", Takeover(RscHold.ALL)) is None
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert took < 0.1


def test_graceful_stop_hands_over_without_waiting_for_deadtime() -> None:
    """Shutdown releases the group, says shutdone, and the peer takes it at once."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    assert sim.request("a", Shutdown()) is None
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert took < 0.1
    assert sim.nodes["a"].exited
    assert "Received shutdown notice from 'a'." in sim.log_text("b")


def test_healed_partition_converges_to_one_owner_without_restart() -> None:
    """After a partition both hold the group; on heal the preferred node keeps it."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: sim.owners(VIP) == ["a", "b"])
    sim.cut.clear()
    took = sim.run_until(lambda: sim.owners(VIP) == ["a"])
    assert took < 2.5
    sim.run_for(10)
    assert sim.owners(VIP) == ["a"]
    assert "returning after partition" in sim.log_text("a")


def test_resumed_frozen_owner_yields_to_the_node_that_kept_serving() -> None:
    """SIGSTOP of the owner past deadtime, then SIGCONT: b keeps serving, a lets go."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.freeze("a")
    sim.run_until(lambda: sim.owners(VIP) == ["a", "b"])
    sim.run_for(2)
    sim.thaw("a")
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert took < 2.0  # 2 x keepalive
    sim.run_for(10)
    assert sim.owners(VIP) == ["b"]


def test_standby_asked_while_the_peer_is_in_flux_is_answered_when_it_settles() -> None:
    """hb_standby right after start-up, while b still runs its own start-up transition:
    b defers the request instead of dropping it (Heartbeat drops it and the standby
    times out after 10 s), and the group moves as soon as b is stable."""
    sim = pair()
    sim.script_times = {"a": 0.01, "b": 1.0}  # b's status scripts are slow
    sim.start("a")
    sim.start("b")
    a, b = sim.nodes["a"].engine, sim.nodes["b"].engine
    assert a is not None
    assert b is not None
    sim.run_until(lambda: sim.owners(VIP) == ["a"] and a.ownership.is_stable())
    assert b.ownership.busy is not None
    assert sim.request("a", Standby(RscHold.ALL)) is None
    took = sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert "deferred: local resources in flux" in sim.log_text("b")
    assert took < 2.5  # b's remaining 1 s of flux, then its 1 s take
    assert "Standby request cancelled" not in sim.log_text("a")


def _statements(sim: ClusterSim, node: str, since: int) -> list[tuple[str, str | None]]:
    """``resource`` messages ``node`` sent after ``sim.wire[since]``: (rsc_hold, info)."""
    from pyhb.wire.message import decode

    out = []
    for _, src, data in sim.wire[since:]:
        msg = decode(data).message
        if src == node and msg.type == "resource":
            out.append((msg.get("rsc_hold") or "", msg.get("info")))
    return out


def test_standby_claims_follow_the_sets_given_and_taken_not_the_groups() -> None:
    """b (no haresources line of its own) pulls a's group with hb_takeover all, then gives
    it back with hb_standby all: like Heartbeat 3.0.6 it then says it holds ``none``, in
    its standby statement and after; saying ``local`` made a real peer holding ``all``
    log "Both machines own foreign resources!"."""
    sim = pair(auto_failback=AutoFailback.ON)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    assert sim.request("b", Takeover(RscHold.ALL)) is None
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    sim.run_for(1)
    assert sim.nodes["b"].engine is not None
    assert sim.nodes["b"].engine.snapshot().rscstatus == "all"
    mark = len(sim.wire)
    assert sim.request("b", Standby(RscHold.ALL)) is None
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    said = _statements(sim, "b", mark)
    assert said[0] == ("none", "standby")
    assert {hold for hold, _ in said} == {"none"}
    assert sim.nodes["b"].engine.snapshot().rscstatus == "none"
    # a took b's all: like 3.0.6 it claims all (a real b would otherwise log "No one owns
    # our local resources!"), though no haresources line names b.
    assert _statements(sim, "a", mark)[-1][0] == "all"
    assert sim.nodes["a"].engine is not None
    assert sim.nodes["a"].engine.snapshot().rscstatus == "all"

    # Taking everything back (a goes standby all) restores b's claim to all, as in 3.0.6.
    mark = len(sim.wire)
    assert sim.request("a", Standby(RscHold.ALL)) is None
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    sim.run_for(1)
    assert _statements(sim, "b", mark)[-1][0] == "all"
    assert sim.nodes["b"].engine.snapshot().rscstatus == "all"
    assert _statements(sim, "a", mark)[0] == ("none", "standby")
    assert sim.nodes["a"].engine.snapshot().rscstatus == "none"


def test_a_lone_node_claims_all_even_without_foreign_groups() -> None:
    """a (the only haresources line) alone after initdead: it claims all, as 3.0.6 sets
    both bits when it takes everything; a graceful stop then says none."""
    sim = pair()
    sim.start("a")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    assert sim.nodes["a"].engine is not None
    assert sim.nodes["a"].engine.snapshot().rscstatus == "all"


def test_a_node_joining_a_peer_that_claims_all_says_none_until_the_claim_fails_back() -> None:
    """b stops gracefully; a takes its (empty) foreign set and claims all. When b starts
    again it says ``none`` (a holds its local set), a gives the foreign claim back with
    an automatic standby, and both end claiming ``local``, as two 3.0.6 nodes do;
    before, b claimed ``local`` at once and a real a logged "Both machines own foreign
    resources!". The group never leaves a."""
    sim = pair()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    assert sim.request("b", Shutdown()) is None
    sim.run_until(lambda: sim.nodes["b"].exited)
    sim.run_for(1)
    assert sim.nodes["a"].engine is not None
    assert sim.nodes["a"].engine.snapshot().rscstatus == "all"
    mark = len(sim.wire)
    sim.nodes["b"].exited = False
    sim.start("b")
    sim.run_for(5)
    said = _statements(sim, "b", mark)
    assert said[0][0] == "none"
    assert said[-1][0] == "local"
    assert "a wants to go standby [foreign]" in sim.log_text("a")
    assert sim.nodes["a"].engine.snapshot().rscstatus == "local"
    assert sim.owners(VIP) == ["a"]
    assert all(seen.get("b") != {VIP} for _, seen in sim.owners_seen[-50:])


def test_send_history_is_freed_up_to_the_lowest_ack_of_live_peers() -> None:
    """Acked messages leave the retransmit history, so it stays small while peers ack."""
    sim = pair(keepalive=200)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(300)  # 1500 heartbeats: far more than the 500-message cap
    for name in ("a", "b"):
        engine = sim.nodes[name].engine
        assert engine is not None
        assert engine.history.next_seq > 1000
        assert len(engine.history) <= 25  # an ack every 10 messages, plus what is in flight


def test_send_history_keeps_the_cap_when_the_peer_is_dead() -> None:
    """With no live peer nothing is acknowledged: history fills to MAXMSGHIST and stops."""
    sim = pair(keepalive=200)
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    sim.run_for(200)
    engine = sim.nodes["b"].engine
    assert engine is not None
    assert len(engine.history) == 500


def test_history_release_forgets_only_acknowledged_seqs() -> None:
    h = SendHistory()
    for _ in range(30):
        h.record(h.allocate(), b"x")
    h.release_through(20)
    assert len(h) == 10
    assert h.lookup(20, 0.0)[0] is Lookup.TOO_LOW
    assert h.lookup(21, 0.0) == (Lookup.FOUND, b"x")


class _CountingVerifier:
    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls = 0

    def verify(self, data: bytes) -> object:
        self.calls += 1
        return self.inner.verify(data)  # type: ignore[attr-defined]

    def check_trailer(self, index: int, got: str, signed: bytes) -> None:
        self.calls += 1
        self.inner.check_trailer(index, got, signed)  # type: ignore[attr-defined]


def test_own_looped_back_datagrams_bring_the_link_up_without_being_verified() -> None:
    """A node alone hears only itself: its link comes up, nothing is decoded."""
    sim = pair()
    sim.start("a")
    engine = sim.nodes["a"].engine
    assert engine is not None
    counting = _CountingVerifier(engine.verifier)
    engine._keys.verifier = counting  # type: ignore[assignment]
    sim.run_for(5)
    assert engine.own_links["hb0"] is LinkStatus.UP
    assert counting.calls == 0
    sim.start("b")
    sim.run_for(5)
    assert counting.calls > 0  # b's datagrams are still decoded and authenticated


def test_acks_for_other_nodes_are_dropped_before_decoding() -> None:
    """In a three-node cluster each node only verifies the acks addressed to it."""
    names = ("a", "b", "c")
    sim = ClusterSim({n: make_config(n, names, keepalive=200) for n in names})
    for n in names:
        sim.start(n)
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    engine = sim.nodes["c"].engine
    assert engine is not None
    seen: list[str | None] = []
    inner = engine.verifier

    class Recording:
        def verify(self, data: bytes) -> object:
            msg = inner.verify(data)
            if msg.type == "NS_ackmsg":
                seen.append(msg.get("dest"))
            return msg

        def check_trailer(self, index: int, got: str, signed: bytes) -> None:
            inner.check_trailer(index, got, signed)

    engine._keys.verifier = Recording()  # type: ignore[assignment]
    sim.run_for(30)
    assert seen
    assert set(seen) == {"c"}
    assert len(engine.history) <= 25  # c's own history is still freed by the acks it gets


def _status_times(sim: ClusterSim, since: float) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for t, src, data in sim.wire:
        if t >= since and b"(0)t=status," in data:
            times.setdefault(src, []).append(t)
    return times


@pytest.mark.parametrize("reading", ["prompt"], indirect=True)  # aligns on reading
def test_statuses_of_nodes_started_apart_fall_into_step() -> None:
    """Three nodes started 70 and 130 ms apart end up sending their statuses together
    (each follows the first it hears), none ever more often than every half keepalive
    nor later than a keepalive plus the follower's slack."""
    names = ("a", "b", "c")
    sim = ClusterSim({n: make_config(n, names, keepalive=200, warntime=500) for n in names})
    sim.start("a")
    sim.run_for(0.07)
    sim.start("b")
    sim.run_for(0.06)
    sim.start("c")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)  # going active sends a status at once, whatever the timer says
    start = sim.now
    sim.run_for(20)
    times = _status_times(sim, start)
    for node, ts in times.items():
        gaps = [b - a for a, b in itertools.pairwise(ts)]
        assert min(gaps) >= 0.1 - 1e-9, node
        assert max(gaps) <= 0.2 + 0.01 + 1e-9, node
    last = _status_times(sim, sim.now - 2)
    for t in last["a"]:
        for node in ("b", "c"):
            assert min(abs(u - t) for u in last[node]) < 0.005, (node, t)


@pytest.mark.parametrize("reading", ["prompt"], indirect=True)  # aligns on reading
def test_a_follower_keeps_its_keepalive_when_the_node_it_followed_dies() -> None:
    """The leader is killed: the follower's next status comes a keepalive plus its slack
    after its last, then every keepalive again."""
    sim = pair(keepalive=200, deadtime=1000, warntime=500, initdead=4000)
    sim.start("a")
    sim.run_for(0.09)
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(5)
    times = _status_times(sim, sim.now - 2)
    leader = "a" if times["a"][-1] < times["b"][-1] else "b"
    follower = "b" if leader == "a" else "a"
    sim.kill(leader)
    killed = sim.now
    sim.run_for(3)
    ts = [t for t in _status_times(sim, killed - 0.5)[follower]]
    gaps = [b - a for a, b in itertools.pairwise(ts)]
    assert max(gaps) == pytest.approx(0.21, abs=1e-6)
    assert gaps[-1] == pytest.approx(0.2, abs=1e-6)


def test_no_follower_slack_when_it_would_reach_warntime() -> None:
    """warntime at the keepalive (legal, if odd): statuses never come later than it."""
    sim = pair(keepalive=200, deadtime=1000, warntime=200, initdead=4000)
    sim.start("a")
    sim.run_for(0.09)
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    start = sim.now
    sim.run_for(10)
    for ts in _status_times(sim, start).values():
        assert max(b - a for a, b in itertools.pairwise(ts)) <= 0.2 + 1e-9


def test_datagrams_dropped_untouched_are_reported_so_nothing_is_serviced() -> None:
    """receive_datagram() says False for another node's ack and for our own datagram
    coming back on a link already up, True for a peer's status."""
    names = ("a", "b", "c")
    sim = ClusterSim({n: make_config(n, names, keepalive=200) for n in names})
    for n in names:
        sim.start(n)
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(5)
    engine = sim.nodes["c"].engine
    assert engine is not None
    ack_for_b = next(d for _, s, d in sim.wire if s == "a" and b"dest=b," in d and b"NS_ack" in d)
    status_of_a = next(d for _, s, d in reversed(sim.wire) if s == "a" and b"t=status" in d)
    own = next(d for _, s, d in reversed(sim.wire) if s == "c")
    addr = ("10.77.0.1", 694)
    assert engine.receive_datagram(ack_for_b, "hb0", addr, sim.instant()) is False
    assert engine.receive_datagram(own, "hb0", addr, sim.instant()) is False
    assert engine.receive_datagram(status_of_a, "hb0", addr, sim.instant()) is True
