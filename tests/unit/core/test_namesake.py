"""Two hosts with one node name: the second one's packets are not taken for our own."""

from __future__ import annotations

from pyhb.clock import Instant
from pyhb.core.engine import Engine
from pyhb.core.events import LinkStatus, LogLine
from tests.helpers.sim import WALL0, make_config


def _engine(uuid: bytes, t: float) -> Engine:
    return Engine(make_config("a"), uuid=uuid, generation=7, now=Instant(t, WALL0 + t),
                  rand=lambda: 0.5)  # fmt: skip


def test_a_second_node_named_like_us_is_reported_not_counted_as_our_loopback() -> None:
    t = 100.0
    ours, other = _engine(b"a" * 16, t), _engine(b"z" * 16, t)
    for _ in range(3):
        t += 1.0
        now = Instant(t, WALL0 + t)
        other.handle_timer(now)
        for data in other.datagrams_to_send(now):
            ours.receive_datagram(data, "hb0", ("10.77.0.9", 694), now)
    errors = [
        ev.text for ev in iter(ours.next_event, None) if isinstance(ev, LogLine) and ev.level >= 40
    ]
    assert len(errors) == 1  # once a minute, not once a packet
    assert "Another node at 10.77.0.9 calls itself a" in errors[0]
    assert ours.own_links["hb0"] is LinkStatus.DEAD  # its packets prove no link of ours
