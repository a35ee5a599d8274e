"""A datagram in the steady status layout, naming a known peer, whose trailer does not
match: dropped and logged as the general path drops it, after one digest and without the
general decoder (a flood of such junk costs the steady path's price, not twice that)."""

from __future__ import annotations

import logging

import pytest

from bench.hostile import build_target
from pyhb.core.badpackets import BUDGET
from pyhb.core.events import LogLine
from pyhb.lab.flood import spoofed_payloads
from pyhb.wire.auth import Verifier
from pyhb.wire.steady import read_status


def _junk(good: bytes) -> bytes:
    body, sep, trailer = good.rpartition(b"%%%\n")
    forged = trailer[:-11] + b"0" * 10 + trailer[-1:]
    return body + sep + forged


@pytest.mark.parametrize("src", ["b", "a"])  # a peer's name, or our own
def test_steady_junk_is_dropped_with_one_warning_and_no_general_decode(
    monkeypatch: pytest.MonkeyPatch, src: str
) -> None:
    target = build_target()
    engine = target.engine
    sent = target.captured if src == "b" else sorted(target.sent_by_a)
    good = [d for d in sent if read_status(d) is not None][-1]
    junk = _junk(good)
    status = read_status(junk)
    assert status is not None
    assert status.src == src
    calls = 0
    verify = Verifier.verify

    def counting(self: Verifier, data: bytes) -> object:
        nonlocal calls
        calls += 1
        return verify(self, data)

    monkeypatch.setattr(Verifier, "verify", counting)
    before = target.fingerprint()
    # The first is logged (the daemon has a line to write, a summary timer to arm); the
    # rest are only counted, and leave the transport nothing to do.
    fed = [
        engine.receive_datagram(junk, "hb0", ("10.77.0.66", 694), target.now.after(i / 1e3))
        for i in range(100)
    ]
    assert fed == [True, True] + [False] * 98
    warnings = []
    while (ev := engine.next_event()) is not None:
        if isinstance(ev, LogLine) and ev.level >= logging.WARNING:
            warnings.append(ev.text)
    assert calls == 0
    assert target.fingerprint() == before
    assert len(warnings) == 1
    assert warnings[0].startswith("dropped packet from 10.77.0.66 on hb0: trailer digest")
    # The genuine datagram still passes the check (a peer's: taken by the shortcut, a
    # duplicate by now; our own: left to the general path), so only junk was refused.
    engine.receive_datagram(good, "hb0", ("10.77.0.2", 694), target.now.after(0.2))
    assert calls == (0 if src == "b" else 1)


def test_classic_junk_only_counted_leaves_the_transport_nothing_to_do() -> None:
    target = build_target()
    engine = target.engine
    junk = spoofed_payloads(50)
    fed = [
        engine.receive_datagram(d, "hb0", (f"10.77.1.{i + 1}", 694), target.now.after(i / 1e3))
        for i, d in enumerate(junk)
    ]
    warned = BUDGET
    assert fed == [True] * (warned + 1) + [False] * (len(junk) - warned - 1)
