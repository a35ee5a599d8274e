"""Splitting each medium's input in two: what can wait for the node's own timer, and
everything else, read at once.

What it buys: in a settled cluster almost every datagram is a peer's ``st=active``
status, and reading each as it arrives wakes the daemon once per peer per keepalive;
split, an idle node wakes about once a keepalive whatever the size of the cluster.
Here each medium gets a twin socket that only those steady statuses and the
acknowledgements for this node reach (``net.filters``); the transport does not watch
it, but reads it at the engine's own timer (which comes at least once a keepalive, to
send our status) and before any other input, with each datagram's kernel arrival time
(``SO_TIMESTAMPNS``), so the engine dates liveness by arrival, not by reading. The main
socket keeps everything else, read as it comes: messages that move resources,
retransmissions, and statuses that change something.

How a datagram reaches only one of the two:

* bcast: the twin is bound to the interface's broadcast address, so unicast datagrams
  (which the kernel would hand to one socket only) never reach it; a broadcast reaches
  both, and each socket's filter keeps its share. The main socket drops the twin's
  share only from datagrams sent to the broadcast address: a peer that uses ucast to
  reach us on the same interface and port is read there in full.
* mcast: both join the group; every datagram reaches both, filters as for bcast.
* ucast: the kernel hands a unicast datagram to one socket of the port's reuseport
  group, chosen by ``filters.steer``: the twin for its share, the group's first socket
  otherwise. One twin per (interface, port); it joins the group after the main
  sockets, so its place in the group is their number.

The kernel turns arrival stamping on through deferred work when the first socket on the
host asks for it; a datagram that arrives before that is stamped when read, which dates
it no later than reading without a twin would (see ``Transport._read_all``).

Where any step fails (the kernel refuses a filter, the twin cannot bind), the medium
stays as it was, with the acknowledgement filter alone, and reads everything at once.

Here too: ``gather``, which reads every socket with the kernel's arrival times (the
transport calls it whenever some medium has a twin), and ``ignore_own``. The engine's
side of the feature is ``pyhb.core.splitmedia``; the byte patterns the filters look for
are defined in ``pyhb.wire.message``.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import struct
import time
from collections.abc import Callable, Mapping, Sequence

from pyhb.config.model import Bcast, Ucast
from pyhb.net import filters
from pyhb.net.medium import Medium
from pyhb.net.sockets import MediumError, MediumSocket, open_medium

log = logging.getLogger(__name__)

SO_TIMESTAMPNS = 35  # the kernel's SO_TIMESTAMPNS_OLD: struct timespec of CLOCK_REALTIME
SCM_TIMESTAMPNS = SO_TIMESTAMPNS  # the ancillary message it adds to each datagram read
_ANCILLARY = socket.CMSG_SPACE(16)  # one struct timespec
_SOL_SOCKET = socket.SOL_SOCKET
_unpack_timespec = struct.Struct("qq").unpack_from

Source = tuple[Medium, socket.socket, bool]  # a medium, one of its sockets, is it the twin
Arrived = tuple[int, bytes, tuple[str, int], Medium, bool]  # stamp, data, addr, medium, twin
SO_RCVBUFFORCE = 33  # SO_RCVBUF past net.core.rmem_max (CAP_NET_ADMIN)
TWIN_RCVBUF = 1 << 20  # room for what a flood brings between two reads (net.transport)


def split_media(media: Sequence[MediumSocket], node: bytes) -> list[MediumSocket]:
    """``media`` with filters attached, and a twin (``lazy``) wherever one could be made.

    ``node`` is the local node's name as on the wire. Blocking; call before the loop.
    """
    out = list(media)
    ucast_groups: dict[tuple[str, int], list[int]] = {}
    for i, ms in enumerate(out):
        if isinstance(ms.medium, Ucast):
            ucast_groups.setdefault((ms.medium.iface, ms.medium.port), []).append(i)
            continue
        twin = _twin(ms)
        if twin is not None and not filters.attach(twin, filters.twin(node)):
            twin.close()
            twin = None
        out[i] = _finish(ms, node, twin)
    for members in ucast_groups.values():
        twin = _twin(out[members[0]])
        if twin is not None and not (
            filters.attach(twin, filters.twin(node))
            and filters.attach(twin, filters.steer(len(members), node), reuseport=True)
            and all(_split_main(out[i], node) for i in members)
        ):
            # All or nothing: a main socket that kept the steady statuses next to one that
            # drops them could lose what the group handed to the latter.
            twin.close()
            twin = None
        for i in members:
            if twin is None:
                filters.attach(out[i].sock, filters.prompt(node, split=False))
        out[members[0]] = dataclasses.replace(out[members[0]], lazy=twin)
    return out


def ignore_own(media: Sequence[MediumSocket], node: bytes, own: bytes) -> None:
    """Stop the twins taking our own steady statuses, which start with ``own``
    (``Engine``'s ``OwnStatusesKnown``). A twin whose kernel refuses the new filter
    keeps the old one: our statuses then come back as before."""
    for ms in media:
        if ms.lazy is not None and not filters.attach(ms.lazy, filters.twin(node, own)):
            log.debug("%s: our own statuses still come back", ms.description)


def _twin(ms: MediumSocket) -> socket.socket | None:
    try:
        sock = open_medium(ms.medium, attempts=1, twin=True).sock
    except MediumError as exc:
        log.debug("%s: statuses are read as they come: %s", ms.description, exc)
        return None
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError as exc:
        log.debug("%s: statuses are read as they come: %s", ms.description, exc)
        sock.close()
        return None
    for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):  # as much as allowed
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, TWIN_RCVBUF)
            break
        except OSError:
            continue
    return sock


def _finish(ms: MediumSocket, node: bytes, twin: socket.socket | None) -> MediumSocket:
    """Attach the main socket's filter; without a twin (or if that fails), the plain one."""
    if twin is not None and _split_main(ms, node):
        return dataclasses.replace(ms, lazy=twin)
    if twin is not None:
        twin.close()
    filters.attach(ms.sock, filters.prompt(node, split=False))
    return ms


def _split_main(ms: MediumSocket, node: bytes) -> bool:
    """Make ``ms``'s main socket drop steady statuses and date what it reads."""
    try:
        ms.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    brd = ms.destination[0] if isinstance(ms.medium, Bcast) else None
    return filters.attach(ms.sock, filters.prompt(node, split=True, broadcast=brd))


def gather(
    sources: Mapping[int, Source],
    poll: Callable[[int], list[tuple[int, int]]],
    wall_ns: int,
    *,
    rounds: int,
    burst: int,
    budget: float,
    cost: float,
) -> tuple[list[Arrived], bool]:
    """Read every socket of ``sources`` (by file descriptor; ``poll`` polls them all), a
    round at a time, up to ``burst`` datagrams from each readable one (one ``poll`` per
    datagram would double what a flood costs), each with the kernel's arrival time
    (wall clock, ns; ``wall_ns`` where the kernel gave none).

    Stops when none is readable, after ``rounds`` rounds, or once the time spent reading
    plus what feeding the batch should take (``cost`` per datagram) reaches ``budget``.
    Returns the batch, unsorted, and whether a twin was still readable then (flooded).
    """
    batch: list[Arrived] = []
    clock = time.monotonic
    start = clock()
    for _ in range(rounds):
        if clock() - start + cost * len(batch) > budget:
            break
        ready = poll(0)
        if not ready:
            return batch, False
        for fd, _events in ready:
            m, sock, twin = sources[fd]
            for _ in range(burst):
                try:
                    data, ancillary, _flags, addr = sock.recvmsg(65536, _ANCILLARY)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:  # an ICMP error reported on a read (ucast)
                    m.failed(exc)
                    break
                stamp = wall_ns
                for level, kind, value in ancillary:
                    if level == _SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(value) >= 16:
                        sec, nsec = _unpack_timespec(value)
                        stamp = sec * 1_000_000_000 + nsec
                batch.append((stamp, data, addr, m, twin))
    return batch, any(sources[fd][2] for fd, _ in poll(0))
