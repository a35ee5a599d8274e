"""Gratuitous ARP trains, like heartbeat's ``send_arp``: sent over a raw AF_PACKET socket.

What heartbeat 3.0.6 puts on the wire (``send_arp -i 500 -r 10``; see
docs/architecture.md#gratuitous-arp): ARP_REPEAT
pairs of frames, a request then a reply, one frame every ARP_INTERVAL_MS / 2 (250 ms), all
broadcast, sender IP = target IP = the address, sender MAC = the interface's MAC; the
request's target MAC is zero, the reply's is the sender MAC.

The first frame is sent synchronously by the caller right after the address is added; the
rest of the train runs in the background: an asyncio task in the daemon, a forked child (with
a pid file, like ``send_arp -p``) when run as a script. ``stop`` of the same address cancels
either.

Owns: frame building, the per-interface socket cache, train scheduling and cancellation.
Must not import anything from pyhb outside ``pyhb.agents``. Frames go out on a plain
AF_PACKET socket bound to the interface (no scapy: it would cost the daemon ~20 MB).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import socket
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from pyhb.agents.base import AgentResult, InProcessAgent, rundir_from_env

#: How a start's ARP train goes on after the first frame: an asyncio task of the daemon,
#: or a forked child of a script that exits at once.
TrainMode = Literal["task", "fork"]

log = logging.getLogger(__name__)

ETH_P_ARP = 0x0806
BROADCAST_MAC = b"\xff" * 6
ARP_REQUEST = 1
ARP_REPLY = 2
# heartbeat's IPaddr defaults (OCF_RESKEY_ARP_REPEAT / ARP_INTERVAL_MS); send_arp sleeps half
# the interval between the two frames of a pair and between pairs.
DEFAULT_REPEAT = 10
DEFAULT_INTERVAL = 0.5
PIDFILE_PREFIX = "send_arp-"


class FrameSocket(Protocol):
    """The part of a link-layer socket we use."""

    def send(self, x: bytes) -> int: ...

    def close(self) -> None: ...


SocketFactory = Callable[[str], FrameSocket]


@dataclass(frozen=True, slots=True)
class GarpPlan:
    """How many frames to send and how far apart."""

    repeat: int = DEFAULT_REPEAT
    interval: float = DEFAULT_INTERVAL

    @property
    def frame_count(self) -> int:
        return 2 * self.repeat

    @property
    def gap(self) -> float:
        return self.interval / 2


def plan_from_env(environ: dict[str, str] | None = None) -> GarpPlan:
    """The train IPaddr would send given ``OCF_RESKEY_ARP_REPEAT`` / ``ARP_INTERVAL_MS``."""
    env = os.environ if environ is None else environ
    try:
        repeat = int(env.get("OCF_RESKEY_ARP_REPEAT", DEFAULT_REPEAT))
        interval = int(env.get("OCF_RESKEY_ARP_INTERVAL_MS", DEFAULT_INTERVAL * 1000)) / 1000
    except ValueError:
        return GarpPlan()
    if repeat < 1 or interval < 0:
        return GarpPlan()
    return GarpPlan(repeat, interval)


def mac_bytes(mac: str) -> bytes:
    """``'02:77:00:00:00:01'`` → 6 bytes."""
    raw = bytes(int(part, 16) for part in mac.split(":"))
    if len(raw) != 6:
        raise ValueError(f"not an Ethernet MAC address: {mac!r}")
    return raw


def garp_frames(mac: str, ip: str) -> tuple[bytes, bytes]:
    """The (request, reply) frames announcing ``ip`` at ``mac``, as send_arp builds them."""
    smac = mac_bytes(mac)
    sip = ipaddress.IPv4Address(ip).packed
    eth = BROADCAST_MAC + smac + struct.pack("!H", ETH_P_ARP)
    head = struct.pack("!HHBB", 1, 0x0800, 6, 4)
    request = eth + head + struct.pack("!H", ARP_REQUEST) + smac + sip + b"\x00" * 6 + sip
    reply = eth + head + struct.pack("!H", ARP_REPLY) + smac + sip + smac + sip
    return request, reply


def frame_sequence(mac: str, ip: str, plan: GarpPlan) -> list[bytes]:
    """Every frame of one train, in order: request, reply, request, reply, ..."""
    request, reply = garp_frames(mac, ip)
    return [request if i % 2 == 0 else reply for i in range(plan.frame_count)]


def interface_mac(iface: str) -> str:
    """The MAC address of ``iface`` as the kernel reports it (sysfs)."""
    return Path(f"/sys/class/net/{iface}/address").read_text(encoding="ascii").strip()


def packet_socket(iface: str) -> FrameSocket:
    """A raw AF_PACKET socket bound to ``iface`` that sends whole Ethernet frames.

    Protocol 0 on the socket and in the bind: the kernel delivers it no frames at all,
    so nothing piles up in a receive buffer nobody reads.
    """
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        sock.bind((iface, 0))
    except OSError:
        sock.close()
        raise
    return sock


class GarpSender:
    """Sends gratuitous ARP trains; one raw socket per interface, opened once and reused."""

    def __init__(
        self, plan: GarpPlan | None = None, socket_factory: SocketFactory | None = None
    ) -> None:
        self.plan = plan or GarpPlan()
        self._factory: SocketFactory = socket_factory or packet_socket
        self._sockets: dict[str, FrameSocket] = {}
        self._trains: dict[str, asyncio.Task[None]] = {}

    def prepare(self, iface: str) -> None:
        """Open the socket for ``iface`` now, so the first frame later costs only a send."""
        if iface not in self._sockets:
            self._sockets[iface] = self._factory(iface)

    def send_frame(self, iface: str, frame: bytes) -> None:
        """Send one frame; a socket that fails is dropped and reopened once."""
        self.prepare(iface)
        try:
            self._sockets[iface].send(frame)
        except OSError:
            self._drop(iface)
            self.prepare(iface)
            self._sockets[iface].send(frame)

    def _drop(self, iface: str) -> None:
        sock = self._sockets.pop(iface, None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def announce(self, iface: str, ip: str, mac: str) -> asyncio.Task[None] | None:
        """Send the first frame now and schedule the rest of the train on the running loop.

        A train already running for ``ip`` is cancelled first. Returns the background task
        (None when the train has only one frame).
        """
        self.cancel(ip)
        frames = frame_sequence(mac, ip, self.plan)
        self.send_frame(iface, frames[0])
        if len(frames) == 1:
            return None
        task = asyncio.get_running_loop().create_task(
            self._train(iface, ip, frames[1:]), name=f"garp-{ip}"
        )
        self._trains[ip] = task
        task.add_done_callback(lambda t: self._forget(ip, t))
        return task

    def _forget(self, ip: str, task: asyncio.Task[None]) -> None:
        if self._trains.get(ip) is task:
            del self._trains[ip]
        if not task.cancelled() and task.exception() is not None:
            log.warning("Gratuitous ARP train for %s failed: %s", ip, task.exception())

    async def _train(self, iface: str, ip: str, frames: list[bytes]) -> None:
        for frame in frames:
            await asyncio.sleep(self.plan.gap)
            self.send_frame(iface, frame)
        log.debug("Gratuitous ARP train for %s on %s done", ip, iface)

    def running(self, ip: str) -> bool:
        """True while a background train for ``ip`` is in progress in this process."""
        task = self._trains.get(ip)
        return task is not None and not task.done()

    def cancel(self, ip: str) -> bool:
        """Cancel this process's train for ``ip``; True if one was running."""
        task = self._trains.pop(ip, None)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def send_blocking(self, iface: str, frames: list[bytes]) -> None:
        """Send ``frames`` with the train's spacing, sleeping in between (script mode)."""
        for i, frame in enumerate(frames):
            if i:
                time.sleep(self.plan.gap)
            self.send_frame(iface, frame)

    def close(self) -> None:
        """Cancel every train and close every socket."""
        for ip in list(self._trains):
            self.cancel(ip)
        for iface in list(self._sockets):
            self._drop(iface)


# -- script mode: a detached child carries the train, found again through a pid file ---------


def pidfile_path(rundir: Path, ip: str) -> Path:
    """Where the background train for ``ip`` records its pid (same name as IPaddr's send_arp)."""
    return rundir / f"{PIDFILE_PREFIX}{ip}"


def spawn_background_train(
    sender: GarpSender, iface: str, frames: list[bytes], pidfile: Path
) -> int:
    """Fork a detached child that sends ``frames`` (spaced by the plan) and exits; returns its pid.

    The child leaves the caller's session and drops stdin/stdout/stderr, so a caller that
    waits for the script's output to end is not held up by the train.
    """
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{os.getpid()}\n", encoding="ascii")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for frame in frames:
            time.sleep(sender.plan.gap)
            sender.send_frame(iface, frame)
    except BaseException:  # noqa: BLE001 - a forked child must never return into the caller
        code = 1
    finally:
        with contextlib.suppress(OSError):
            if pidfile.read_text(encoding="ascii").strip() == str(os.getpid()):
                pidfile.unlink()
        os._exit(code)


def kill_background_train(pidfile: Path) -> bool:
    """Stop the train recorded in ``pidfile`` (if its process is still ours); True if killed."""
    try:
        pid = int(pidfile.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return False
    with contextlib.suppress(OSError):
        pidfile.unlink()
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    # Only kill what looks like a train sender (ours or heartbeat's send_arp): the pid
    # may have been reused since the file was written.
    if b"pyhb" not in cmdline and b"send_arp" not in cmdline:
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def start_train(
    garp: GarpSender, mode: TrainMode, rundir: Path, iface: str, ip: str, mac: str
) -> None:
    """Announce ``ip`` at ``mac`` out of ``iface``: the first frame now, the rest by the
    daemon's task or (``fork``) by a child that outlives the script, replacing any
    earlier child's train of that address (its pid file is in ``rundir``)."""
    if mode == "task":
        garp.announce(iface, ip, mac)
        return
    pidfile = pidfile_path(rundir, ip)
    kill_background_train(pidfile)
    frames = frame_sequence(mac, ip, garp.plan)
    garp.send_frame(iface, frames[0])
    if len(frames) > 1:
        spawn_background_train(garp, iface, frames[1:], pidfile)


def run_as_script(
    args: Sequence[str],
    agent_for: Callable[[GarpSender, Path], InProcessAgent],
    close: Callable[[], None] = lambda: None,
) -> int:
    """Run one built-in agent as its ``resource.d`` script does: ``ARGS... ACTION`` (just
    ``usage`` when nothing is given), its ARP train carried on by a forked child, its
    output on stdout; returns the exit code. ``agent_for(sender, rundir)`` builds the
    agent; ``close`` releases what it holds once it has run."""
    import sys  # noqa: PLC0415 - only the command line needs it

    words = list(args) or ["usage"]
    garp = GarpSender(plan_from_env())
    agent = agent_for(garp, rundir_from_env())

    async def _run() -> AgentResult:
        try:
            return await agent.run(tuple(words[:-1]), words[-1])
        finally:
            close()

    result = asyncio.run(_run())
    garp.close()
    sys.stdout.write(result.output)
    return result.rc


def main(argv: list[str] | None = None) -> int:
    """``python3 -m pyhb.agents.arp IFACE IP [REPEAT [INTERVAL_MS]]``: send one train, blocking."""
    import sys  # noqa: PLC0415 - only the command line needs it

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or len(args) > 4:
        sys.stderr.write("usage: python3 -m pyhb.agents.arp IFACE IP [REPEAT [INTERVAL_MS]]\n")
        return 1
    iface, ip = args[0], args[1]
    plan = GarpPlan(
        repeat=int(args[2]) if len(args) > 2 else DEFAULT_REPEAT,
        interval=int(args[3]) / 1000 if len(args) > 3 else DEFAULT_INTERVAL,
    )
    sender = GarpSender(plan)
    try:
        sender.send_blocking(iface, frame_sequence(interface_mac(iface), ip, plan))
    finally:
        sender.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
