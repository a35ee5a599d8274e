"""Hostile datagrams against a settled engine (``bench.hostile``): forged, replayed,
truncated, oversized, random and mutated. Never a crash, never a state change, at most
one warning per source per minute. ``python -m bench.fuzz`` runs a million of them."""

from __future__ import annotations

import itertools
import random

import pytest

from bench import fuzz
from bench.hostile import Target, build_target, forged, mutations, replays

from .harness import Measurement, record


@pytest.fixture(scope="module")
def target() -> Target:
    return build_target()


def test_forged_packets_change_nothing_and_are_logged_once(target: Target) -> None:
    cases = list(forged(target))
    assert {k for k, _ in cases} >= {
        "wrong key",
        "unknown key index",
        "no trailer",
        "trailer of another message",
        "inner auth of another message, classic framing",
    }
    for kind, data in cases * 3:  # the same source, again and again
        assert target.feed(data, "10.77.0.91") == [], kind
    assert target.warnings["10.77.0.91"] == 1


def test_replayed_packets_change_nothing(target: Target) -> None:
    cases = list(replays(target))
    kinds = {k for k, _ in cases}
    assert kinds == {"replay of an older generation", "replay of an old sequence number"}
    for kind, data in cases:
        assert target.feed(data, "10.77.0.92") == [], kind
    assert target.warnings.get("10.77.0.92", 0) <= 1


def test_the_checks_notice_an_authentic_new_packet(target: Target) -> None:
    """The harness itself: a genuinely new status from b does change a's state."""
    from pyhb.wire.auth import Signer
    from pyhb.wire.message import decode

    newest = [d for d in target.captured if b"t=status" in d][-1]
    msg = decode(newest).message
    seq = int(msg.get("seq") or "0", 16) + 1
    data = Signer(target.engine.config.authkeys).datagram(msg.with_fields(("seq", f"{seq:x}")))
    assert "state changed" in target.feed(data, "10.77.0.93")


def test_mutated_truncated_oversized_and_random_datagrams(target: Target) -> None:
    rng = random.Random(5)
    seeds = [d for _, d in itertools.chain(forged(target), replays(target))]
    problems = []
    for i, (kind, data) in enumerate(itertools.islice(mutations(rng, seeds), 3000)):
        problems += [f"{kind}: {p}" for p in target.feed(data, f"10.77.1.{i % 50}")]
    assert problems == []


def test_fuzz_run_small() -> None:
    """The fuzz run of bench/ at 30 000 cases (it runs 1 000 000 there)."""
    report = fuzz.run(30_000, seed=3)
    record(
        Measurement(
            f"fuzz: decode + verify + engine input, {report.cases} cases (CI)",
            "zero failures: no exception, no state change, at most one warning per source "
            "per minute",
            notes=f"{len(report.failures)} failures in {report.seconds:.1f} s",
            settings="-",
            command="python -m bench.soak --only fuzz_run_small",
        )
    )
    assert report.cases == 30_000
    assert report.failures == []
