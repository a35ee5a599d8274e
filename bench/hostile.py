"""Hostile datagrams against one pyhb engine: forged, replayed, truncated, oversized,
random and mutated.

``Target`` is node ``a`` of a two-node cluster that has settled (simulated time, key
``sha1 secret``), with the datagrams ``b`` really sent (``captured``, two generations of
``b``). ``fingerprint`` is everything a datagram could change: membership, sequence
tracking, resource ownership, the next sequence number. Feeding a hostile datagram must
leave it equal, raise nothing, queue no new message (a replayed retransmission request
may only be answered with a byte-identical copy of something already sent), and log at
most one warning per source address per minute.

Used by ``tests/faults/test_hostile_input.py`` (small) and ``python -m bench.fuzz``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyhb.clock import Instant
from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.core.engine import Engine
from pyhb.core.events import LogLine
from pyhb.wire.auth import Signer, Verifier
from pyhb.wire.errors import AuthError, DecodeError
from pyhb.wire.fields import MAX_DATAGRAM
from pyhb.wire.message import HaMessage, decode
from tests.helpers.sim import ClusterSim, make_config

VIP = "10.77.0.100/24/hb0"
WRONG_KEYS = AuthKeys(1, (AuthKey(1, AuthMethod.SHA1, b"not-the-secret"),))
UNKNOWN_INDEX = AuthKeys(7, (AuthKey(7, AuthMethod.SHA1, b"secret"),))
CRC_KEYS = AuthKeys(1, (AuthKey(1, AuthMethod.CRC, b""),))
CRC_INDEX9 = AuthKeys(9, (AuthKey(9, AuthMethod.CRC, b""),))  # what the CRC engine accepts


@dataclass
class Target:
    sim: ClusterSim
    engine: Engine
    now: Instant
    captured: list[bytes]  # what b sent, both generations, in order
    old_generation: list[bytes]  # b's first generation only
    sent_by_a: set[bytes] = field(default_factory=set)
    warnings: dict[str, int] = field(default_factory=dict)

    def fingerprint(self) -> Any:
        e = self.engine
        own = e.ownership
        peers = tuple(
            (
                p.name,
                p.status,
                p.last_status,
                p.dt,
                p.tracker.generation,
                p.tracker.last,
                tuple(sorted(p.tracker.missing)),
                tuple((lk.name, lk.status, lk.last_heard) for lk in p.links.values()),
                p.gone_gen,
            )
            for p in e.peers
        )
        return (
            e.status,
            e.comm_up,
            peers,
            e.history.next_seq,
            frozenset(own.held),
            own.peer_hold,
            own.peer_known,
            own.peer_stable,
            own.phase,
            own.busy,
            own.suspect,
            own.standby.state,
            tuple(sorted(own.state.items())),
            e.snapshot(),
        )

    def feed(self, data: bytes, source: str = "10.77.0.66") -> list[str]:
        """One datagram into the engine; returns the problems it caused (empty = fine)."""
        problems: list[str] = []
        before = self.fingerprint()
        try:
            self.engine.receive_datagram(data, "hb0", (source, 694), self.now)
        except Exception as exc:  # noqa: BLE001 - that is exactly what is being looked for
            return [f"raised {type(exc).__name__}: {exc}"]
        if self.fingerprint() != before:
            problems.append("state changed")
        for out in self.engine.datagrams_to_send(self.now):
            if out not in self.sent_by_a:
                problems.append("a new message was queued")
        while (ev := self.engine.next_event()) is not None:
            if isinstance(ev, LogLine) and ev.level >= 30:
                self.warnings[source] = self.warnings.get(source, 0) + 1
                if self.warnings[source] > 1:
                    problems.append(f"second warning for {source}: {ev.text}")
            elif not isinstance(ev, LogLine):
                problems.append(f"emitted {type(ev).__name__}")
        return problems


def build_crc_target(seed: int = 1) -> Target:
    """The same settled pair, but node a also accepts CRC (unkeyed) datagrams of index 9."""
    target = build_target(seed)
    keys = target.engine.config.authkeys
    # crc is accepted on input only as the active key: make it active for a's verifier
    # (a's own packets stay signed as before; sha1 index 1 is still accepted on input).
    target.engine._verifier = Verifier(AuthKeys(9, (*keys.keys, *CRC_INDEX9.keys)))
    return target


def build_target(seed: int = 1) -> Target:
    """A settled pair a/b; b restarted once, so two generations of its packets exist."""
    sim = ClusterSim({n: make_config(n) for n in ("a", "b")}, seed=seed)
    captured: list[bytes] = []
    sent_by_a: set[bytes] = set()
    transmit = sim._transmit

    def tap(src: str, data: bytes) -> None:
        if src == "b":
            captured.append(data)
        else:
            sent_by_a.add(data)
        transmit(src, data)

    sim._transmit = tap  # type: ignore[method-assign]
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(VIP) == ["a"])
    sim.run_for(15)
    old = list(captured)
    sim.kill("b")
    sim.start("b")
    sim.run_for(15)
    assert sim.owners(VIP) == ["a"]
    engine = sim.nodes["a"].engine
    assert engine is not None
    # Freeze a here: no more simulated time passes for it while we feed it.
    sim.nodes["a"].frozen = True
    return Target(sim, engine, sim.instant(), captured, old, sent_by_a)


# -- the hostile datagrams ------------------------------------------------------------


def _resign(data: bytes, keys: AuthKeys, edit: Callable[[HaMessage], HaMessage]) -> bytes:
    msg = decode(data).message
    return Signer(keys).datagram(edit(msg))


def forged(target: Target) -> Iterator[tuple[str, bytes]]:
    """Well-formed messages that must fail authentication."""
    latest = target.captured[-1]
    seqd = [d for d in target.captured if b"seq=" in d]
    newest = seqd[-1]

    def bump(m: HaMessage) -> HaMessage:
        seq = int(m.get("seq") or "1", 16)
        return m.with_fields(("seq", f"{seq + 5:x}"))

    yield "wrong key", _resign(newest, WRONG_KEYS, bump)
    yield "unknown key index", _resign(newest, UNKNOWN_INDEX, bump)
    yield "crc instead of sha1", _resign(newest, CRC_KEYS, bump)
    body, _, _ = newest.rpartition(b"%%%\n")
    yield "no trailer", body + b"%%%\n"
    yield "empty trailer", body + b"%%%\n0:,"
    yield "trailer of another message", body + b"%%%\n" + latest.rpartition(b"%%%\n")[2]
    msg = decode(newest).message
    yield "field changed, signatures kept", newest.replace(b"st=active", b"st=dead__")
    yield (
        "inner auth of another message, classic framing",
        _classic_with_auth(bump(msg), decode(latest).message.get("auth") or ""),
    )
    yield "classic framing without auth", _classic_with_auth(bump(msg), None)


def _classic_with_auth(msg: HaMessage, auth: str | None) -> bytes:
    lines = [f"{k}={v}" for k, v in msg.fields if k != "auth" and isinstance(v, str)]
    if auth is not None:
        lines.append(f"auth={auth}")
    return (">>>\n" + "\n".join(lines) + "\n<<<\n").encode()


def replays(target: Target) -> Iterator[tuple[str, bytes]]:
    """Authentic datagrams b really sent, again: old generation, old sequence numbers."""
    for data in target.old_generation[-40:]:
        yield "replay of an older generation", data
    for data in target.captured[-40:]:
        yield "replay of an old sequence number", data


def mutations(rng: random.Random, seeds: list[bytes]) -> Iterator[tuple[str, bytes]]:
    """Endless truncated, oversized, random and mutated datagrams."""
    while True:
        base = rng.choice(seeds)
        kind = rng.randrange(8)
        if kind == 0:
            yield "truncated", base[: rng.randrange(len(base))]
        elif kind == 1:
            yield "random", rng.randbytes(rng.randrange(0, 600))
        elif kind == 2:
            yield (
                "random after a start marker",
                rng.choice((b"###\n", b">>>\n")) + rng.randbytes(rng.randrange(0, 300)),
            )
        elif kind == 3:
            buf = bytearray(base)
            for _ in range(rng.randrange(1, 8)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            yield "bytes flipped", bytes(buf)
        elif kind == 4:
            i = rng.randrange(len(base))
            yield "bytes inserted", base[:i] + rng.randbytes(rng.randrange(1, 40)) + base[i:]
        elif kind == 5:
            other = rng.choice(seeds)
            yield "spliced", base[: rng.randrange(len(base))] + other[rng.randrange(len(other)) :]
        elif kind == 6:
            digits = rng.choice((b"1", b"99999999999", b"-1", b"0", b"65536", b"x"))
            i = base.find(b":", 4)
            yield "netstring length forged", base[:4] + digits + base[i if i > 0 else 4 :]
        else:
            yield "oversized", base + b"x" * (MAX_DATAGRAM + 1 - len(base) + rng.randrange(100))


def check_codec(data: bytes) -> str | None:
    """decode and verify raise only DecodeError/AuthError on anything."""
    for fn in (decode, Verifier(CRC_KEYS).verify):
        try:
            fn(data)
        except (DecodeError, AuthError):
            pass
        except Exception as exc:  # noqa: BLE001
            return f"{fn.__qualname__} raised {type(exc).__name__}: {exc}"
    return None


def crc_signed(rng: random.Random, target: Target) -> Iterator[bytes]:
    """Authentic-looking (CRC is unkeyed) messages with mutated fields: they reach the
    handlers. Anything may change state; nothing may raise."""
    msgs = [decode(d).message for d in target.captured]
    words = ["status", "resource", "starting", "NS_rexmit", "shutdone", "ask_resources",
             "hb_takeover", "ip-request", "reqnodes", "repnodes", "NS_nak_rexmit", "x"]  # fmt: skip
    values = ["", "0", "-1", "ffffffffffffffffffff", "all", "local", "foreign", "none", "me",
              "other", "done", "dead", "active", "1", "zz", "b", "a", "\x00", "9" * 40]  # fmt: skip
    signer = Signer(CRC_INDEX9)
    while True:
        m = rng.choice(msgs)
        pairs = [(k, v) for k, v in m.fields if k != "auth"]
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(len(pairs))
            k, _v = pairs[i]
            if rng.random() < 0.3:
                pairs[i] = ("t", rng.choice(words))
            elif rng.random() < 0.1:
                del pairs[i]
                if not pairs:
                    pairs = [("t", "status")]
            else:
                pairs[i] = (k, rng.choice(values))
        try:
            yield signer.datagram(HaMessage(tuple(pairs)))
        except ValueError:
            continue
