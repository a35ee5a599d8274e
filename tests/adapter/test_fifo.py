"""The FIFO reader: requests from Heartbeat 3.0.6's own hb_standby/hb_takeover scripts."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from pyhb.control.fifo import FifoReader, split_messages, to_command
from pyhb.core.events import Command, RscHold, Standby, Takeover

# What the package's scripts write through ha_clustermsg (heredoc lines, tab-indented).
HB_STANDBY = b">>>\nt=ask_resources\nrsc_hold=foreign\ninfo=me\n<<<\n"
HB_TAKEOVER = b">>>\nt=hb_takeover\nrsc_hold=all\n<<<\n"


def test_split_messages_keeps_an_unfinished_message_for_later() -> None:
    messages, rest = split_messages(HB_STANDBY + HB_TAKEOVER[:20])
    assert messages == [{"t": "ask_resources", "rsc_hold": "foreign", "info": "me"}]
    messages, rest = split_messages(rest + HB_TAKEOVER[20:])
    assert messages == [{"t": "hb_takeover", "rsc_hold": "all"}]
    assert rest == b""


def test_split_messages_skips_stray_lines_and_drops_garbage() -> None:
    messages, rest = split_messages(b"noise\n<<<\n" + HB_TAKEOVER)
    assert messages == [{"t": "hb_takeover", "rsc_hold": "all"}]
    _, rest = split_messages(b">>>\n" + b"x=" + b"y" * 70_000 + b"\n")
    assert rest == b""


@pytest.mark.parametrize(
    ("fields", "command"),
    [
        ({"t": "ask_resources", "rsc_hold": "all", "info": "me"}, Standby(RscHold.ALL)),
        ({"t": "ask_resources", "rsc_hold": "local", "info": "me"}, Standby(RscHold.LOCAL)),
        ({"t": "hb_takeover", "rsc_hold": "foreign"}, Takeover(RscHold.FOREIGN)),
        ({"t": "hb_takeover", "rsc_hold": "failback"}, Takeover(RscHold.LOCAL)),
    ],
)
def test_the_package_tools_messages_become_commands(
    fields: dict[str, str], command: Command
) -> None:
    assert to_command(fields) == command


def test_other_messages_are_ignored() -> None:
    assert isinstance(to_command({"t": "ask_resources", "rsc_hold": "all", "info": "done"}), str)
    assert isinstance(to_command({"t": "ip-request", "ipaddr": "10.0.0.1"}), str)
    assert isinstance(to_command({"t": "hb_takeover", "rsc_hold": "bogus"}), str)


class Target:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.got = asyncio.Event()

    def request(self, cmd: Command) -> str | None:
        self.commands.append(cmd)
        self.got.set()
        return None


@pytest.mark.asyncio
async def test_reader_creates_the_fifo_and_takes_requests_written_in_pieces(
    tmp_path: Path,
) -> None:
    """A missing FIFO is created 0600; a writer's open() does not block; a request split
    over two writes arrives once; a leftover regular file is replaced."""
    path = tmp_path / "fifo"
    path.write_text(">>>\nt=hb_takeover\n")  # what the tools leave when no FIFO existed
    target = Target()
    reader = FifoReader(path, target)
    reader.start()
    try:
        st = path.lstat()
        assert stat.S_ISFIFO(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, HB_STANDBY[:15])
            await asyncio.sleep(0.05)
            assert target.commands == []
            os.write(fd, HB_STANDBY[15:])
            await asyncio.wait_for(target.got.wait(), 2)
        finally:
            os.close(fd)
        assert target.commands == [Standby(RscHold.FOREIGN)]
    finally:
        reader.close()
    assert stat.S_ISFIFO(path.lstat().st_mode)  # left in place, as 3.0.6 does


class FailingOnce(Target):
    """Raises on the first request (a bug behind it), accepts the rest."""

    def request(self, cmd: Command) -> str | None:
        if not self.commands:
            self.commands.append(cmd)
            raise RuntimeError("boom")
        return super().request(cmd)


@pytest.mark.asyncio
async def test_a_request_that_fails_costs_neither_the_next_one_nor_the_reader(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two requests in one write; handling the first raises: it is logged, the second is
    still handled, and a later write is read too."""
    path = tmp_path / "fifo"
    target = FailingOnce()
    reader = FifoReader(path, target)
    reader.start()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, HB_STANDBY + HB_TAKEOVER)
            await asyncio.wait_for(target.got.wait(), 2)
            target.got.clear()
            os.write(fd, HB_TAKEOVER)
            await asyncio.wait_for(target.got.wait(), 2)
        finally:
            os.close(fd)
    finally:
        reader.close()
    assert target.commands == [
        Standby(RscHold.FOREIGN),
        Takeover(RscHold.ALL),
        Takeover(RscHold.ALL),
    ]
    assert "FIFO request ask_resources failed" in caplog.text
