"""The API socket's framing, checked against bytes Heartbeat 3.0.6 and its client
library exchanged (strace of Debian's cl_status against 3.0.6 in the lab)."""

from __future__ import annotations

import pytest

from pyhb.api import ipc
from pyhb.wire.message import HaMessage

# cl_status signing on: sent by Debian's libhbclient.
SIGNON = (
    b"\x51\x00\x00\x00\xcd\xab\x00\x00"
    b">>>\nt=hbapi-req\nreqtype=signon\ndest=a\npid=22662\nfrom_id=22662\nuid=0\ngid=106\n<<<\n\x00"
)
# 3.0.6's reply to it.
SIGNON_REPLY = (
    b"\xaf\x00\x00\x00\xcd\xab\x00\x00"
    b">>>\nt=hbapi-resp\nreqtype=signon\nresult=OK\ndeadtime=3e8\nkeepalive=c8\nnode=a\n"
    b"hbversion=3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)\npacemaker=false\n"
    b"logfacility=0\n<<<\n\x00"
)
# An empty value, as in 3.0.6's answer to nodesite.
NODESITE_REPLY = b"".join(
    [
        b"\x37\x00\x00\x00\xcd\xab\x00\x00",
        b">>>\nt=hbapi-resp\nreqtype=nodesite\n",
        b"site=\nresult=OK\n<<<\n\x00",
    ]
)


def test_a_request_of_the_client_library_decodes() -> None:
    length = ipc.body_length(SIGNON[:8])
    assert length == len(SIGNON) - 8
    msg = ipc.decode_body(SIGNON[8:])
    assert msg.fields == (
        ("t", "hbapi-req"),
        ("reqtype", "signon"),
        ("dest", "a"),
        ("pid", "22662"),
        ("from_id", "22662"),
        ("uid", "0"),
        ("gid", "106"),
    )


def test_replies_are_framed_byte_for_byte_as_3_0_6_frames_them() -> None:
    reply = HaMessage(
        (
            ("t", "hbapi-resp"),
            ("reqtype", "signon"),
            ("result", "OK"),
            ("deadtime", "3e8"),
            ("keepalive", "c8"),
            ("node", "a"),
            ("hbversion", "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)"),
            ("pacemaker", "false"),
            ("logfacility", "0"),
        )
    )
    assert ipc.encode(reply) == SIGNON_REPLY
    site = HaMessage((("t", "hbapi-resp"), ("reqtype", "nodesite"), ("site", ""), ("result", "OK")))
    assert ipc.encode(site) == NODESITE_REPLY
    assert ipc.decode_body(NODESITE_REPLY[8:]) == site  # empty values read back


def test_binary_fields_travel_as_3_0_6_writes_them() -> None:
    """A uuid (getuuid's answer, destuuid of forwarded messages) is ``(1)name=base64``."""
    msg = HaMessage((("t", "hbapi-resp"), ("queryuuid", bytes(range(16)))))
    framed = ipc.encode(msg)
    assert b"(1)queryuuid=AAECAwQFBgcICQoLDA0ODw==\n" in framed
    assert ipc.decode_body(framed[8:]) == msg


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (b"\x10\x00\x00\x00\xcd\xab\x00\x01", "bad magic number"),
        (b"\x00\x00\x00\x00\xcd\xab\x00\x00", "out of range"),
        (b"\xff\xff\xff\xff\xcd\xab\x00\x00", "out of range"),
        (b"\x00\x00\x01\x00\xcd\xab\x00\x00", "out of range"),
    ],
)
def test_bad_headers_are_refused(header: bytes, error: str) -> None:
    with pytest.raises(ipc.FrameError, match=error):
        ipc.body_length(header)


def test_a_body_that_is_no_message_is_refused() -> None:
    with pytest.raises(ipc.FrameError):
        ipc.decode_body(b"hello\0")
