"""Log writes off the event loop: each destination is written by its own thread.

A log call on the event loop only puts the record in a bounded queue
(``QueueHandler``); a thread per destination (``QueueListener``) does the write, so a
stalled destination (journald not reading stderr, a hung NFS log file, a full syslog
socket) holds up neither the loop nor the other destinations. When a destination's
queue is full, records for it are dropped and counted, never waited for; once the queue
has drained, that destination gets one line saying how many were lost. At exit
(``stop_all``) every queue is written out, waiting at most ``STOP_WAIT`` for a stalled
destination. See docs/operations.md.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import queue
import threading
import time
from collections.abc import Sequence

#: Records waiting for one destination; beyond that they are dropped and counted.
QUEUE_SIZE = 10_000
#: Seconds allowed at exit for the destinations to take what was logged.
STOP_WAIT = 5.0


_END = logging.makeLogRecord({"msg": "(the writer ends here)"})  # put by ``detach``


class _Writer(logging.handlers.QueueListener):
    """The thread writing one destination; closes it when stopped."""

    def __init__(self, q: queue.Queue[logging.LogRecord], front: Background) -> None:
        super().__init__(q, front.target, respect_handler_level=True)
        self.records = q
        self.front = front
        self.ending = False

    def handle(self, record: logging.LogRecord) -> None:
        super().handle(record)
        if self.records.empty():
            lost = self.front.take_dropped()
            if lost:
                note = logging.makeLogRecord(
                    {
                        "name": "pyhb.log",
                        "levelno": logging.WARNING,
                        "levelname": "WARNING",
                        "msg": f"{lost} log line(s) dropped here: this log destination "
                        "was too slow to take them",
                    }
                )
                super().handle(note)

    def _monitor(self) -> None:
        q = self.records
        while True:
            try:
                record = q.get(timeout=1.0)
            except queue.Empty:
                if self.ending:
                    break
                continue
            if record is _END:
                q.task_done()
                break
            try:
                self.handle(record)
            finally:
                q.task_done()
        self.front.target.close()


class Background(logging.handlers.QueueHandler):
    """The handler installed on the root logger for one destination, ``target``."""

    def __init__(self, target: logging.Handler) -> None:
        q: queue.Queue[logging.LogRecord] = queue.Queue(QUEUE_SIZE)
        super().__init__(q)
        self.target = target
        self.setLevel(target.level)
        for f in target.filters:
            self.addFilter(f)
        self._lock = threading.Lock()
        self._dropped = 0
        self.stopped = False  # the writer was told to end (``detach``)
        self._writer = _Writer(q, self)
        self._writer.start()

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            with self._lock:
                self._dropped += 1

    def take_dropped(self) -> int:
        with self._lock:
            n, self._dropped = self._dropped, 0
        return n

    def detach(self) -> None:
        """Let the writer finish what is queued, then end, without waiting for it."""
        self.stopped = self._writer.ending = True
        with contextlib.suppress(queue.Full):  # if full, it ends once the queue is empty
            self.queue.put_nowait(_END)

    def wait(self, deadline: float) -> bool:
        """Wait until the writer has ended, at most until ``deadline`` (monotonic)."""
        thread = self._writer._thread
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False
            self._writer._thread = None
        return True

    def flush(self) -> None:
        """Wait (at most ``STOP_WAIT``) until what is queued has been written."""
        deadline = time.monotonic() + STOP_WAIT
        q = self.queue
        assert isinstance(q, queue.Queue)
        while q.unfinished_tasks and time.monotonic() < deadline and not self.stopped:
            time.sleep(0.005)

    def close(self) -> None:
        if not self.stopped:
            self.detach()
            self.wait(time.monotonic() + STOP_WAIT)
        super().close()


def stop_all(handlers: Sequence[logging.Handler], wait: float = STOP_WAIT) -> bool:
    """End the writers of ``handlers`` (already off the root logger) after they have
    written what is queued; True if all did within ``wait`` seconds."""
    fronts = [h for h in handlers if isinstance(h, Background)]
    for front in fronts:
        front.detach()
    deadline = time.monotonic() + wait
    done = all([front.wait(deadline) for front in fronts])
    for h in handlers:
        h.close()
    return done
