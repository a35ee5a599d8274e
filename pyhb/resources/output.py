"""A script's stdout or stderr: a pipe read while the script runs, then drained.

A start script often leaves a daemon behind that inherited its stdout and stderr. Into
a temporary file, such a daemon would write for the rest of its life into a file nobody
can see or remove (it was deleted when the script's result was read): the disk fills
invisibly. Into a pipe nobody reads, its writes would block or kill it (SIGPIPE).

So each stream is a pipe. ``Output`` keeps the first ``limit`` bytes the script writes
while it runs (``loop.add_reader``: the script never blocks on a full pipe) and, once
the script has exited, ``finish`` takes what is still buffered. If a background process
still holds the pipe then, the read end stays open and everything written into it is
read and thrown away until the last holder closes it (EOF), when the pipe is closed:
nothing is kept, nothing written to disk, nobody blocked or killed. Heartbeat's
ResourceManager appends the same output to its debug log file instead, where it stays
visible.

Imports asyncio and os only.
"""

from __future__ import annotations

import asyncio
import os

CHUNK = 65536
READS_PER_WAKEUP = 16


class Output:
    """One pipe for a child's stream: ``write_fd`` goes to the child (then call
    ``started``); call ``finish`` after the child has exited, or ``close`` if it never
    started."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self._loop = loop
        self._limit = limit
        self._data = bytearray()
        self._read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(self._read_fd, False)
        self._open = True
        loop.add_reader(self._read_fd, self._on_readable)

    def started(self) -> None:
        """The child has its copy of the write end: close ours (EOF is then the child's)."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def finish(self) -> str:
        """What the child wrote, decoded; the pipe is closed now or, while a background
        process still holds it, once that lets go (its writes are read and dropped)."""
        self.started()
        if self._open:
            self._on_readable()
        text = self._data[: self._limit].decode("utf-8", "replace")
        self._data = bytearray()
        self._limit = 0  # from now on every byte read is dropped
        return text

    def close(self) -> None:
        """Close the pipe at once (no child was started)."""
        self.started()
        self._close()

    def _on_readable(self) -> None:
        for _ in range(READS_PER_WAKEUP):  # a chatty holder cannot keep the loop here
            if not self._open:
                return
            try:
                chunk = os.read(self._read_fd, CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._close()
                return
            room = self._limit - len(self._data)
            if room > 0:
                self._data += chunk[:room]

    def _close(self) -> None:
        if self._open:
            self._open = False
            self._loop.remove_reader(self._read_fd)
            os.close(self._read_fd)
