"""Junk from thousands of spoofed source addresses: a few warnings in all, then one
summary line with the counts, not one warning per source (``core.badpackets``)."""

from __future__ import annotations

import logging

from bench.hostile import build_target, forged
from pyhb.core.badpackets import BUDGET, INTERVAL
from pyhb.core.events import LogLine


def _warnings(engine: object) -> list[str]:
    from pyhb.core.engine import Engine

    assert isinstance(engine, Engine)
    out = []
    while (ev := engine.next_event()) is not None:
        if isinstance(ev, LogLine) and ev.level >= logging.WARNING:
            out.append(ev.text)
    return out


def test_a_flood_from_3000_sources_logs_a_few_warnings_then_one_summary() -> None:
    target = build_target()
    engine = target.engine
    junk = [d for kind, d in forged(target) if kind in ("wrong key", "no trailer")]
    now = target.now
    lines: list[str] = []
    for i in range(3000):
        source = f"10.77.{1 + i // 250}.{1 + i % 250}"
        engine.receive_datagram(junk[i % len(junk)], "hb0", (source, 694), now.after(i / 3000))
        lines += _warnings(engine)
    assert 1 <= len(lines) <= BUDGET
    assert all(line.startswith("dropped packet from 10.77.") for line in lines)
    due = engine.badpackets.due()
    timer = engine.get_timer()
    assert due is not None
    assert timer is not None
    assert timer <= due <= now.mono + INTERVAL + 1
    # The summary comes at the engine's timer, a minute after the first uncounted drop.
    later = now.after(due - now.mono)
    engine.handle_timer(later)
    summary = [w for w in _warnings(engine) if "bad packet" in w]
    dropped = 3000 - len(lines)
    assert summary == [f"{dropped} bad packets from {dropped} sources dropped in the last 60 s"]
    # Counted afresh: nothing more to sum up, and the budget is back for new sources.
    engine.handle_timer(later.after(INTERVAL))
    assert [w for w in _warnings(engine) if "bad packet" in w] == []


def test_the_summary_also_comes_with_the_next_bad_packet_and_counts_repeats() -> None:
    target = build_target()
    engine = target.engine
    junk = next(d for kind, d in forged(target) if kind == "wrong key")
    now = target.now
    for i in range(50):  # one source, again and again: one warning, 49 counted
        engine.receive_datagram(junk, "hb0", ("10.77.0.9", 694), now.after(i / 100))
    assert len(_warnings(engine)) == 1
    engine.receive_datagram(junk, "hb0", ("10.77.0.8", 694), now.after(INTERVAL + 1))
    lines = [w for w in _warnings(engine) if "packet" in w]
    assert lines[0] == "49 bad packets from 1 source dropped in the last 61 s"
    assert lines[1:] == ["dropped packet from 10.77.0.8 on hb0: " + lines[1].split(": ", 1)[1]]
