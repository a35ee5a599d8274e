"""The messages rc.d scripts are offered in a simulated two-node cluster, from the
engine's real events: hb_takeover on both nodes (the sender too, as in 3.0.6), link
changes (this node's own link too), a peer's rise and its death."""

from __future__ import annotations

from pyhb.core.events import ClusterMessage, LinkStateChanged, PeerStateChanged, RscHold, Takeover
from pyhb.daemon.rcoffers import Fields, offered
from tests.helpers.sim import ClusterSim, Node, make_config

VIP = "10.77.0.100/24/hb0"


class OfferingSim(ClusterSim):
    """Records, per node, what its rc.d scripts would be offered."""

    offers: dict[str, list[dict[str, str]]]

    def _handle_event(self, node: Node, ev: object) -> None:
        super()._handle_event(node, ev)
        if isinstance(ev, PeerStateChanged | LinkStateChanged | ClusterMessage):
            fields: Fields | None = offered(ev, local=node.name, shutting_down=False)
            if fields is not None:
                self.offers.setdefault(node.name, []).append(dict(fields))


def _sim() -> OfferingSim:
    sim = OfferingSim({n: make_config(n) for n in ("a", "b")})
    sim.offers = {}
    return sim


def _of_type(sim: OfferingSim, node: str, mtype: str) -> list[dict[str, str]]:
    return [m for m in sim.offers.get(node, []) if m["t"] == mtype]


def test_hb_takeover_is_offered_on_both_nodes_and_a_death_as_status_dead() -> None:
    sim = _sim()
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(1)
    statuses = [(m["src"], m["st"]) for m in _of_type(sim, "a", "status")]
    assert statuses == [("b", "up"), ("b", "active")]
    links = [(m["node"], m["ifname"], m["st"]) for m in _of_type(sim, "a", "ifstat")]
    assert links == [("a", "hb0", "up"), ("b", "hb0", "up")]  # its own link too, as 3.0.6
    assert not _of_type(sim, "a", "resource")  # handled by the daemon itself

    assert sim.request("b", Takeover(RscHold.ALL)) is None
    sim.run_until(lambda: sim.owners(VIP) == ["b"])
    for node in ("a", "b"):
        (takeover,) = _of_type(sim, node, "hb_takeover")
        assert takeover["src"] == "b"
        assert takeover["rsc_hold"] == "all"
        assert "seq" in takeover  # the message's own fields

    sim.kill("a")
    sim.run_for(10)
    assert _of_type(sim, "b", "status")[-1] == {"t": "status", "st": "dead", "src": "a"}
