"""STONITH before takeover, on simulated time (``core.fencing``): with a device
configured, a peer that died while it may hold groups is reset before anything is taken
over; the takeover waits as long as the reset has not succeeded. Without one, 3.0.6's
warnings are logged and the takeover happens at once.

The sim stands in for the daemon's ``stonith`` runs: a ``FencePeer`` event records the
request and, when resets work, "powers off" the target (its engine vanishes and what it
ran stops) a couple of seconds later and reports ``fence_finished``.
"""

from __future__ import annotations

import dataclasses

import pytest

from pyhb.config.fencing import Fencing, StonithDevice
from pyhb.config.model import AutoFailback, ClusterConfig
from pyhb.core.events import FencePeer, Shutdown
from tests.helpers.sim import ClusterSim, Node, make_config

VIP = "10.77.0.100/24/hb0"
RESET_TIME = 2.0


def with_stonith(cfg: ClusterConfig) -> ClusterConfig:
    fencing = Fencing((StonithDevice("external/lab", "*", ("x",)),))
    return dataclasses.replace(cfg, ha=dataclasses.replace(cfg.ha, fencing=fencing))


class FencingSim(ClusterSim):
    def __init__(self, *, stonith: bool = True, **kw: object) -> None:
        configs = {n: make_config(n, **kw) for n in ("a", "b")}  # type: ignore[arg-type]
        if stonith:
            configs = {n: with_stonith(c) for n, c in configs.items()}
        super().__init__(configs)
        self.requests: list[tuple[float, str, str]] = []  # (time, fencer, target)
        self.resets_work = True

    def _handle_event(self, node: Node, ev: object) -> None:
        if isinstance(ev, FencePeer):
            self.requests.append((self.now, node.name, ev.node))
            self.at(self.now + RESET_TIME, lambda: self._reset(node, ev.node))
        else:
            super()._handle_event(node, ev)

    def _reset(self, fencer: Node, target: str) -> None:
        if not self.resets_work or fencer.engine is None:
            return
        self.kill(target)
        self.nodes[target].running.clear()
        fencer.engine.fence_finished(target, self.instant())
        self._service(fencer)


def started_pair(sim: FencingSim) -> None:
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(5)


@pytest.mark.parametrize("mode", [AutoFailback.ON, AutoFailback.OFF, AutoFailback.LEGACY])
def test_partitioned_owner_is_reset_before_the_peer_takes_its_group(mode: AutoFailback) -> None:
    sim = FencingSim(auto_failback=mode)
    started_pair(sim)
    cut = sim.now
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: sim.requests != [])
    (asked, fencer, target) = sim.requests[0]
    assert (fencer, target) == ("b", "a")
    assert sim.owners(VIP) == ["a"]  # b waits for the reset
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert sim.now >= asked + RESET_TIME
    assert sim.max_owners(VIP, since=cut) == 1
    b_log = sim.log_text("b")
    assert "Resetting node a (STONITH) before taking its resources." in b_log
    assert "node a now reset." in b_log
    assert b_log.index("node a now reset.") < b_log.rindex("Resources being acquired from a.")
    assert "No STONITH device configured." not in b_log


def test_no_takeover_while_the_reset_fails_and_none_once_the_peer_is_back() -> None:
    sim = FencingSim()
    sim.resets_work = False
    started_pair(sim)
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: sim.requests != [])
    sim.run_for(30)
    assert sim.owners(VIP) == ["a"]
    assert sim.nodes["b"].engine is not None
    assert sim.nodes["b"].engine.fence_wanted("a")
    sim.cut.clear()
    sim.run_for(15)
    assert not sim.nodes["b"].engine.fence_wanted("a")
    assert "node a is back before its reset: reset abandoned" in sim.log_text("b")
    assert sim.owners(VIP) == ["a"]
    assert sim.max_owners(VIP) == 1


def test_without_stonith_the_takeover_is_immediate_and_warned() -> None:
    sim = FencingSim(stonith=False)
    started_pair(sim)
    sim.cut.add(frozenset(("a", "b")))
    sim.run_until(lambda: "b" in sim.owners(VIP))
    assert sim.requests == []
    b_log = sim.log_text("b")
    assert "No STONITH device configured.\nShared disks are not protected." in b_log


def test_a_peer_that_shut_down_cleanly_is_not_reset() -> None:
    sim = FencingSim()
    started_pair(sim)
    sim.request("a", Shutdown())
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    sim.run_for(15)  # past deadtime: a is declared dead as well
    assert sim.requests == []


def test_a_dead_peer_known_to_hold_nothing_is_not_reset() -> None:
    sim = FencingSim(auto_failback=AutoFailback.OFF)
    started_pair(sim)
    sim.kill("b")  # b held nothing
    sim.run_for(15)
    assert sim.requests == []
    assert "Dead node b gave up resources." in sim.log_text("a")


def test_a_node_starting_alone_resets_the_peer_it_never_heard_from_first() -> None:
    sim = FencingSim()
    sim.start("b")
    sim.run_until(lambda: sim.requests != [])
    assert [(f, t) for _, f, t in sim.requests] == [("b", "a")]
    assert sim.owners(VIP) == []
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    assert sim.now >= sim.requests[0][0] + RESET_TIME
