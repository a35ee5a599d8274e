"""A kernel socket filter that drops other nodes' acknowledgements before they wake us.

Every node acknowledges every peer's packets (``NS_ackmsg``, one per peer every ten
sequence numbers) and broadcasts it, so in a cluster of N nodes each node receives
about 1.5 x (N - 1) acknowledgements per second meant for others, which it would read,
recognise (``wire.message.peek_ack_dest``) and discard. This classic BPF program
(``SO_ATTACH_FILTER``) discards them in the kernel instead: a datagram that starts like
an acknowledgement as 3.0.6 and pyhb lay it out (``###\\n14:(0)t=NS_ackmsg,``) and whose
next field is not ``dest=<this node>`` never reaches the socket. Everything else is
delivered untouched. The filter sees the UDP header at offset 0, the payload at 8.

If the kernel refuses the filter, nothing is lost: the same check runs in Python.
Imports stdlib only.
"""

from __future__ import annotations

import ctypes
import logging
import socket
import struct

log = logging.getLogger(__name__)

SO_ATTACH_FILTER = 26
UDP_HEADER = 8
ACK_PREFIX = b"###\n14:(0)t=NS_ackmsg,"

# classic BPF opcodes (linux/filter.h)
_LD_W_ABS, _LD_H_ABS, _LD_B_ABS = 0x20, 0x28, 0x30
_LD_W_LEN = 0x80
_JEQ_K, _JGE_K = 0x15, 0x35
_RET_K = 0x06
_ACCEPT, _DROP = 0xFFFFFFFF, 0

Insn = tuple[int, int, int, int]  # code, jt, jf, k


def _compare(data: bytes, offset: int) -> list[tuple[int, int, int]]:
    """(load opcode, offset, value) steps comparing ``data`` at ``offset`` word by word."""
    steps = []
    pos = 0
    while pos < len(data):
        for size, code, fmt in ((4, _LD_W_ABS, ">I"), (2, _LD_H_ABS, ">H"), (1, _LD_B_ABS, ">B")):
            if len(data) - pos >= size:
                (value,) = struct.unpack(fmt, data[pos : pos + size])
                steps.append((code, offset + pos, value))
                pos += size
                break
    return steps


def program(node: bytes) -> list[Insn]:
    """The filter for node ``node`` (its name as on the wire)."""
    name_field = b"(0)dest=" + node
    ours = b"%d:%s," % (len(name_field), name_field)
    prefix = _compare(ACK_PREFIX, UDP_HEADER)
    dest = _compare(ours, UDP_HEADER + len(ACK_PREFIX))
    # Layout: [len check] [prefix compares] [dest compares] ret ACCEPT, ret DROP.
    # A datagram too short to hold both is accepted: Python looks at it.
    insns: list[Insn] = []
    n_cmp = 2 * (len(prefix) + len(dest))
    accept_at = 2 + n_cmp  # index of "ret ACCEPT"
    drop_at = accept_at + 1
    insns.append((_LD_W_LEN, 0, 0, 0))
    need = UDP_HEADER + len(ACK_PREFIX) + len(ours)
    insns.append((_JGE_K, 0, accept_at - 2, need))  # short: accept
    for i, (code, off, value) in enumerate(prefix + dest):
        here = len(insns) + 1  # index of the jump
        miss = accept_at if i < len(prefix) else drop_at  # not an ack: accept; not ours: drop
        insns.append((code, 0, 0, off))
        insns.append((_JEQ_K, 0, miss - here - 1, value))
    insns.append((_RET_K, 0, 0, _ACCEPT))
    insns.append((_RET_K, 0, 0, _DROP))
    assert len(insns) == drop_at + 1
    return insns


def attach(sock: socket.socket, node: bytes) -> bool:
    """Attach the filter for ``node`` to ``sock``; False (and a debug line) if refused."""
    insns = program(node)
    if any(jt > 255 or jf > 255 for _, jt, jf, _ in insns):
        log.debug("acknowledgement filter not attached: node name too long for it")
        return False
    raw = b"".join(struct.pack("HBBI", *insn) for insn in insns)
    buf = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HL", len(insns), ctypes.addressof(buf))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    except OSError as exc:
        log.debug("acknowledgement filter not attached: %s", exc)
        return False
    return True
