"""Gratuitous ARP frames and trains, with a recording socket instead of a raw one."""

from __future__ import annotations

import asyncio

import pytest

from pyhb.agents.arp import GarpPlan, GarpSender, frame_sequence, garp_frames

# The first two frames of the real heartbeat 3.0.6 train in vectors/lifecycle/lifecycle.pcap.gz
CAPTURED_REQUEST = bytes.fromhex(
    "ffffffffffff027700000001080600010800060400010277000000010a4d00640000000000000a4d0064"
)
CAPTURED_REPLY = bytes.fromhex(
    "ffffffffffff027700000001080600010800060400020277000000010a4d00640277000000010a4d0064"
)


class RecordingSocket:
    def __init__(self, log: list[tuple[str, bytes]], iface: str) -> None:
        self.log, self.iface, self.closed = log, iface, False

    def send(self, x: bytes) -> int:
        self.log.append((self.iface, x))
        return len(x)

    def close(self) -> None:
        self.closed = True


class Factory:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.opened: list[str] = []

    def __call__(self, iface: str) -> RecordingSocket:
        self.opened.append(iface)
        return RecordingSocket(self.sent, iface)


def test_frames_are_byte_identical_to_heartbeats() -> None:
    """Request and reply match the frames send_arp put on the wire."""
    assert garp_frames("02:77:00:00:00:01", "10.77.0.100") == (CAPTURED_REQUEST, CAPTURED_REPLY)


def test_default_train_is_ten_pairs_alternating_250ms_apart() -> None:
    """heartbeat's defaults: 20 frames, request first, alternating, 250 ms apart."""
    plan = GarpPlan()
    frames = frame_sequence("02:77:00:00:00:01", "10.77.0.100", plan)
    assert len(frames) == 20
    assert frames[0::2] == [CAPTURED_REQUEST] * 10
    assert frames[1::2] == [CAPTURED_REPLY] * 10
    assert plan.gap == 0.25


@pytest.mark.asyncio
async def test_first_frame_is_sent_before_announce_returns() -> None:
    """The first request leaves synchronously; the rest follow from a background task."""
    f = Factory()
    sender = GarpSender(GarpPlan(repeat=2, interval=0.02), socket_factory=f)
    task = sender.announce("eth0", "10.77.0.100", "02:77:00:00:00:01")
    assert [x for _, x in f.sent] == [CAPTURED_REQUEST]
    assert task is not None
    await task
    assert [x for _, x in f.sent] == [CAPTURED_REQUEST, CAPTURED_REPLY] * 2


@pytest.mark.asyncio
async def test_cancel_stops_the_rest_of_the_train() -> None:
    """cancel(ip) ends a running train; no further frames are sent."""
    f = Factory()
    sender = GarpSender(GarpPlan(repeat=10, interval=0.2), socket_factory=f)
    task = sender.announce("eth0", "10.77.0.100", "02:77:00:00:00:01")
    assert sender.running("10.77.0.100")
    assert sender.cancel("10.77.0.100") is True
    await asyncio.sleep(0.25)
    assert task is not None
    assert task.cancelled()
    assert len(f.sent) == 1
    assert not sender.running("10.77.0.100")


@pytest.mark.asyncio
async def test_socket_is_opened_once_per_interface() -> None:
    """Repeated trains on one interface reuse its socket; another interface gets its own."""
    f = Factory()
    sender = GarpSender(GarpPlan(repeat=1, interval=0.0), socket_factory=f)
    for ip in ("10.77.0.1", "10.77.0.2", "10.77.0.3"):
        task = sender.announce("eth0", ip, "02:77:00:00:00:01")
        assert task is not None
        await task
    sender.send_frame("eth1", CAPTURED_REQUEST)
    assert f.opened == ["eth0", "eth1"]
    sender.close()


@pytest.mark.asyncio
async def test_new_announce_replaces_running_train_for_same_ip() -> None:
    """A second start of the same address cancels the first train."""
    f = Factory()
    sender = GarpSender(GarpPlan(repeat=5, interval=0.2), socket_factory=f)
    first = sender.announce("eth0", "10.77.0.100", "02:77:00:00:00:01")
    second = sender.announce("eth0", "10.77.0.100", "02:77:00:00:00:01")
    await asyncio.sleep(0)
    assert first is not None
    assert first.cancelled()
    assert sender.running("10.77.0.100")
    assert second is not None
    sender.close()
    await asyncio.sleep(0)
    assert second.cancelled()
