"""The steady-status shortcuts (``wire.steady``: reading a peer's status, writing our own)
change nothing an engine does: whole clusters run with and without them, on simulated time,
send the same bytes at the same moments and log the same lines.

"Without" is the general path only: ``read_status`` finds nothing, and our status goes out
through ``Outbox.send`` as every other message does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod, ClusterConfig
from pyhb.core import receiver
from pyhb.core.events import NodeStatus, Standby
from pyhb.core.keepalive import Keepalive
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"


def _general_status(self: Keepalive, st: NodeStatus, deadtime: float, wall: float) -> None:
    dt = f"{int(deadtime * 1000):x}"
    self._out.send("status", [("st", str(st)), ("dt", dt), ("protocol", "1")], dest=None, wall=wall)


def _configs(
    names: tuple[str, ...], *, msgfmt: str = "classic", method: AuthMethod = AuthMethod.SHA1
) -> dict[str, ClusterConfig]:
    out = {}
    for n in names:
        cfg = make_config(n, names, keepalive=200, deadtime=1000, warntime=500, initdead=3000)
        keys = AuthKeys(1, (AuthKey(1, method, b"" if method is AuthMethod.CRC else b"k3y"),))
        ha = dataclasses.replace(cfg.ha, msgfmt=msgfmt)
        out[n] = dataclasses.replace(cfg, ha=ha, authkeys=keys)
    return out


def _story(sim: ClusterSim) -> None:
    """Start, settle, lose packets, hand over, partition and heal, freeze, kill, restart."""
    names = list(sim.nodes)
    for i, n in enumerate(names):
        sim.run_for(0.031 * i)
        sim.start(n)
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(3)
    sim.loss[("a", "b")] = sim.loss[("b", "a")] = 0.3
    sim.run_for(20)
    sim.loss.clear()
    sim.request("a", Standby("all"))
    sim.run_for(3)
    sim.cut.add(frozenset(("a", "b")))
    sim.run_for(4)
    sim.cut.clear()
    sim.run_for(4)
    sim.freeze("b")
    sim.run_for(0.7)
    sim.thaw("b")
    sim.run_for(2)
    sim.kill("a")
    sim.run_for(3)
    sim.start("a")
    sim.run_for(6)


def _run(
    configs: dict[str, ClusterConfig], lazy: bool, steady: bool, monkeypatch: pytest.MonkeyPatch
) -> ClusterSim:
    with monkeypatch.context() as m:
        if not steady:
            m.setattr(receiver, "read_status", lambda data: None)
            m.setattr(Keepalive, "send", _general_status)
        sim = ClusterSim(configs, lazy=lazy, seed=7)
        _story(sim)
    return sim


CASES: dict[str, Callable[[], dict[str, ClusterConfig]]] = {
    "two nodes": lambda: _configs(("a", "b")),
    "three nodes": lambda: _configs(("a", "b", "c")),
    "msgfmt netstring": lambda: _configs(("a", "b"), msgfmt="netstring"),
    "md5": lambda: _configs(("a", "b"), method=AuthMethod.MD5),
    "crc": lambda: _configs(("a", "b"), method=AuthMethod.CRC),
}


@pytest.mark.parametrize("reading", ["prompt", "lazy"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_clusters_behave_the_same_with_and_without_the_steady_path(
    case: str, reading: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lazy = reading == "lazy"
    general = _run(CASES[case](), lazy, steady=False, monkeypatch=monkeypatch)
    steady = _run(CASES[case](), lazy, steady=True, monkeypatch=monkeypatch)
    assert len(steady.wire) > 500
    assert steady.wire == general.wire
    assert steady.history == general.history
    assert steady.owners_seen == general.owners_seen
    assert any("Heartbeat restart on node a" in line for _, _, line in steady.history)
    assert any("lost packet(s)" in line for _, _, line in steady.history)


def test_the_steady_path_reads_nearly_every_datagram_of_a_settled_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It is what an idle node spends its time on: every peer status but the first ones."""
    taken = []
    real = receiver.Receiver._steady_status

    def counting(*args: object, **kw: object) -> bool:
        ok = real(*args, **kw)  # type: ignore[arg-type]
        taken.append(ok)
        return ok

    monkeypatch.setattr(receiver.Receiver, "_steady_status", counting)
    sim = ClusterSim(_configs(("a", "b")), lazy=True)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    taken.clear()
    sim.run_for(60)
    assert len(taken) >= 2 * 60 / 0.2 - 2
    assert all(taken)
