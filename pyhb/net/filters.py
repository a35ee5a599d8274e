"""Kernel socket filters that sort heartbeat datagrams before they wake the daemon.

Three classic BPF programs, built from byte strings compared word by word at fixed
offsets (3.0.6 and pyhb lay out the netstring format the same way: ``t`` first, then a
status's ``st``, an acknowledgement's ``dest``). They sort datagrams into three kinds:

* the twin's share: steady statuses (``STEADY_PREFIX``, ``st=active``: what every node of a
  settled cluster sends each keepalive) and acknowledgements for this node (they only
  free our send history). Both can wait for the node's own timer.
* other nodes' acknowledgements (``###\\n14:(0)t=NS_ackmsg,`` whose next field is not
  ``dest=<node>``): nobody needs them. Every node acknowledges every peer's packets, so
  a node would otherwise read about 1.5 x (N - 1) a second meant for others.
* everything else (resource messages, retransmissions, statuses that change something:
  ``init``, ``up``), read at once. So is a datagram too short to judge.

The programs:

* ``prompt(node, split)`` (``SO_ATTACH_FILTER`` on a medium's main socket): drops other
  nodes' acknowledgements and, with ``split``, the twin's share (for bcast, only from
  datagrams sent to the broadcast address, which is all the twin gets).
* ``twin(node, own)`` (``SO_ATTACH_FILTER`` on the twin): the twin's share, nothing
  else; with ``own``, not our own steady statuses either.
* ``steer(index, node)`` (``SO_ATTACH_REUSEPORT_CBPF``): for ucast, where the kernel
  hands a datagram to one socket of the port's reuseport group, picks the twin (group
  member ``index``) for its share and the first member for everything else.

A socket filter sees the UDP header at offset 0 (payload at 8); a reuseport program sees
the payload at 0. Imports stdlib only.
"""

from __future__ import annotations

import ctypes
import logging
import socket
import struct

from pyhb.wire.message import ACK_PREFIX, DEST_FIELD, STEADY_PREFIX

log = logging.getLogger(__name__)

SO_ATTACH_FILTER = 26
SO_ATTACH_REUSEPORT_CBPF = 51
UDP_HEADER = 8

# classic BPF opcodes (linux/filter.h)
_LD_W_ABS, _LD_H_ABS, _LD_B_ABS = 0x20, 0x28, 0x30
_LD_W_LEN = 0x80
_JEQ_K, _JGE_K = 0x15, 0x35
_RET_K = 0x06
_JA = 0x05
_WIDTHS = ((4, _LD_W_ABS, ">I"), (2, _LD_H_ABS, ">H"), (1, _LD_B_ABS, ">B"))
ACCEPT, DROP = 0xFFFFFFFF, 0

_IP_DEST = (-0x100000 + 16) & 0xFFFFFFFF  # SKF_NET_OFF + 16: the IPv4 destination

Insn = tuple[int, int, int, int]  # code, jt, jf, k
_Target = int | str  # a jump target: 0 (the next instruction) or a label


class _Program:
    """A straight-line classic BPF program with forward jumps to named labels."""

    def __init__(self) -> None:
        self._code: list[tuple[int, _Target, _Target, int | str]] = []
        self._labels: dict[str, int] = {}

    def label(self, name: str) -> None:
        assert name not in self._labels, name
        self._labels[name] = len(self._code)

    def unique(self, name: str) -> str:
        """A label name not used yet, for a block emitted more than once."""
        n = 0
        while f"{name}-{n}" in self._labels:
            n += 1
        return f"{name}-{n}"

    def goto(self, target: str) -> None:
        self._code.append((_JA, 0, 0, target))

    def ret(self, value: int) -> None:
        self._code.append((_RET_K, 0, 0, value))

    def verdicts(self) -> list[Insn]:
        """End a socket filter with its two outcomes, the labels ``accept`` and ``drop``,
        and assemble it."""
        self.label("accept")
        self.ret(ACCEPT)
        self.label("drop")
        self.ret(DROP)
        return self.assemble()

    def require(self, length: int, short: str) -> None:
        """Go to ``short`` unless the packet holds at least ``length`` bytes."""
        self._code.append((_LD_W_LEN, 0, 0, 0))
        self._code.append((_JGE_K, 0, short, length))

    def match(self, data: bytes, offset: int, miss: str) -> None:
        """Go to ``miss`` unless the packet holds ``data`` at ``offset``."""
        pos = 0
        while pos < len(data):
            for size, code, fmt in _WIDTHS:
                if len(data) - pos >= size:
                    (value,) = struct.unpack(fmt, data[pos : pos + size])
                    self._code.append((code, 0, 0, offset + pos))
                    self._code.append((_JEQ_K, 0, miss, value))
                    pos += size
                    break

    def assemble(self) -> list[Insn]:
        out: list[Insn] = []
        for at, (code, jt, jf, k) in enumerate(self._code):
            kk = self._jump(at, k) if isinstance(k, str) else k  # goto: offset in k
            out.append((code, self._jump(at, jt), self._jump(at, jf), kk))
        return out

    def _jump(self, at: int, target: _Target) -> int:
        if isinstance(target, int):
            return target
        return self._labels[target] - at - 1


def _ours(node: bytes) -> bytes:
    field = DEST_FIELD + node
    return b"%d:%s," % (len(field), field)


def _classify(p: _Program, base: int, node: bytes, lazy: str, other: str, others_ack: str) -> None:
    """Go to ``lazy`` for a steady status or an acknowledgement for ``node``, to
    ``others_ack`` for another node's acknowledgement, else to ``other``."""
    ours = _ours(node)
    not_steady = p.unique("not-steady")
    p.require(base + len(STEADY_PREFIX), not_steady)
    p.match(STEADY_PREFIX, base, not_steady)
    p.goto(lazy)
    p.label(not_steady)
    p.require(base + len(ACK_PREFIX) + len(ours), other)
    p.match(ACK_PREFIX, base, other)
    p.match(ours, base + len(ACK_PREFIX), others_ack)
    p.goto(lazy)


def prompt(node: bytes, *, split: bool, broadcast: str | None = None) -> list[Insn]:
    """The main socket's filter for node ``node`` (its name as on the wire).

    With ``broadcast`` (bcast), the twin's share is dropped only from datagrams sent to
    that address: a peer that reaches us by ucast on the same port is read here, as
    the twin (bound to the broadcast address) never sees it.
    """
    p = _Program()
    if split:
        if broadcast is not None:
            p.match(socket.inet_aton(broadcast), _IP_DEST, "whole")
        _classify(p, UDP_HEADER, node, lazy="drop", other="accept", others_ack="drop")
    p.label("whole")
    _classify(p, UDP_HEADER, node, lazy="accept", other="accept", others_ack="drop")
    return p.verdicts()


def twin(node: bytes, own: bytes | None = None) -> list[Insn]:
    """The twin socket's filter: steady statuses and acknowledgements for ``node``.

    With ``own`` (the bytes our own steady statuses start with, up to our ``srcuuid``),
    those are dropped too: a broadcast or multicast comes back to the host that sent
    it, and once each link has shown it works, reading our own status back tells us
    nothing.
    """
    p = _Program()
    if own is not None:
        p.require(UDP_HEADER + len(own), "theirs")
        p.match(own, UDP_HEADER, "theirs")
        p.ret(DROP)
        p.label("theirs")
    _classify(p, UDP_HEADER, node, lazy="accept", other="drop", others_ack="drop")
    return p.verdicts()


def steer(index: int, node: bytes) -> list[Insn]:
    """The reuseport program: member ``index`` (the twin) for what the twin takes, else
    member 0."""
    p = _Program()
    _classify(p, 0, node, lazy="twin", other="main", others_ack="main")
    p.label("twin")
    p.ret(index)
    p.label("main")
    p.ret(0)
    return p.assemble()


def attach(sock: socket.socket, insns: list[Insn], *, reuseport: bool = False) -> bool:
    """Attach ``insns`` as ``sock``'s filter (or its reuseport group's program).

    False (and a debug line) if the kernel refuses it."""
    what = "reuseport program" if reuseport else "socket filter"
    if any(jt > 255 or jf > 255 for _, jt, jf, _ in insns):
        log.debug("%s not attached: too long for classic BPF jumps", what)
        return False
    raw = b"".join(struct.pack("HBBI", *insn) for insn in insns)
    buf = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HL", len(insns), ctypes.addressof(buf))
    opt = SO_ATTACH_REUSEPORT_CBPF if reuseport else SO_ATTACH_FILTER
    try:
        sock.setsockopt(socket.SOL_SOCKET, opt, fprog)
    except OSError as exc:
        log.debug("%s not attached: %s", what, exc)
        return False
    return True
