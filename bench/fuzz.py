"""Fuzz decode + verify + engine input with hostile datagrams; zero failures allowed.

    python -m bench.fuzz [--cases 1000000] [--seed 1]

Per case one datagram from ``bench.hostile`` (mutated, truncated, oversized, random,
forged, replayed) goes through ``decode`` and ``Verifier.verify`` (only DecodeError /
AuthError allowed) and into a settled engine (no exception, no state change, no new
message, at most one warning per source per minute). One case in ten is instead a
CRC-signed message with mutated fields into an engine that accepts CRC: it reaches the
message handlers, which may change state but must never raise. Prints a summary; exit 1
on any failure.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.hostile import (
    build_crc_target,
    build_target,
    check_codec,
    crc_signed,
    forged,
    mutations,
    replays,
)


@dataclass
class Report:
    cases: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run(cases: int, seed: int = 1) -> Report:
    rng = random.Random(seed)
    report = Report()
    started = time.perf_counter()
    target = build_target(seed)
    crc = build_crc_target(seed)
    fixed = list(itertools.chain(forged(target), replays(target)))
    seeds = [d for _, d in fixed] + target.captured
    stream = mutations(rng, seeds)
    crc_stream = crc_signed(rng, crc)
    window = 0
    for i in range(cases):
        report.cases += 1
        if i >= len(fixed) and i % 10 == 9:
            data = next(crc_stream)
            report.kinds["crc-signed, fields mutated (reaches the handlers)"] += 1
            try:
                crc.engine.receive_datagram(data, "hb0", ("10.77.0.67", 694), crc.now)
                crc.engine.datagrams_to_send(crc.now)
                while crc.engine.next_event() is not None:
                    pass
            except Exception as exc:  # noqa: BLE001
                report.failures.append(f"crc-signed: raised {type(exc).__name__}: {data!r}")
            continue
        kind, data = fixed[i] if i < len(fixed) else next(stream)
        report.kinds[kind] += 1
        problem = check_codec(data)
        if problem:
            report.failures.append(f"{kind}: {problem}: {data[:200]!r}")
        # A new source address every 1000 cases; the log allowance (one warning per
        # source per minute) restarts every 50 000 cases, as if a minute had passed.
        source = f"10.77.{(i // 1000) % 250}.{1 + (i // 250_000) % 250}"
        if i // 50_000 != window:
            window = i // 50_000
            target.warnings.clear()
            target.engine.badpackets.reset()
            target.engine._rexmit_high_logged.clear()
        report.failures.extend(f"{kind}: {p}: {data[:200]!r}" for p in target.feed(data, source))
        if len(report.failures) > 20:
            break
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    report = run(args.cases, args.seed)
    print(f"{report.cases} cases in {report.seconds:.1f} s, {len(report.failures)} failures")
    for kind, n in sorted(report.kinds.items()):
        print(f"  {n:9d}  {kind}")
    for f in report.failures[:20]:
        print("FAIL", f)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
