"""Session checks for the whole suite.

Under ``./run test`` (``PYHB_TEST_INSTALLED=1``) pyhb must come from its installed wheel,
never from this checkout: a test that imported the source tree would hide what a plain
``pip install`` or the Debian package leaves out.
"""

from __future__ import annotations

import asyncio
import asyncio.runners
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyhb

CHECKOUT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("PYHB_TEST_INSTALLED") != "1":
        return
    origin = Path(pyhb.__file__).resolve()
    if CHECKOUT in origin.parents:
        pytest.exit(
            f"pyhb was imported from the checkout ({origin}), not from its installed "
            "wheel; run the suite with ./run test",
            returncode=3,
        )


# --- tests that leave work behind or block the event loop ------------------------------
#
# A test fails if, when it ends, a thread it started is still running or a task it
# created is still pending (the asyncio runner would cancel it silently), or if a
# callback held its event loop for longer than LOOP_BLOCK_LIMIT (asyncio's debug mode,
# switched on for the suite in pyproject.toml, reports each slow callback).

LOOP_BLOCK_LIMIT = 0.5  # seconds: far above any callback's work, below a keepalive
THREAD_GRACE = 2.0  # seconds a finishing thread gets to end after its test

_pending_at_close: list[asyncio.Task[object]] = []
_cancel_all_tasks = asyncio.runners._cancel_all_tasks  # type: ignore[attr-defined]


def _record_pending(loop: asyncio.AbstractEventLoop) -> None:
    _pending_at_close.extend(t for t in asyncio.all_tasks(loop) if not t.done())
    _cancel_all_tasks(loop)


asyncio.runners._cancel_all_tasks = _record_pending  # type: ignore[attr-defined]


class _SlowCallbacks(logging.Handler):
    _PATTERN = re.compile(r"^Executing (?P<what>.*) took (?P<took>[0-9.]+) seconds$", re.S)

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.slow: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = self._PATTERN.match(record.getMessage())
        if match and float(match["took"]) > LOOP_BLOCK_LIMIT:
            self.slow.append(f"{match['what']} took {match['took']} s")


@pytest.fixture(autouse=True)
def no_leaks_no_blocking() -> Iterator[None]:
    before = set(threading.enumerate())
    _pending_at_close.clear()
    slow = _SlowCallbacks()
    asyncio_log = logging.getLogger("asyncio")
    asyncio_log.addHandler(slow)
    try:
        yield
    finally:
        asyncio_log.removeHandler(slow)
    pending = [repr(t) for t in _pending_at_close]
    _pending_at_close.clear()
    deadline = time.monotonic() + THREAD_GRACE
    started = [t for t in threading.enumerate() if t not in before]
    for thread in started:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [t.name for t in started if t.is_alive()]
    problems = []
    if slow.slow:
        problems.append(f"event loop blocked: {'; '.join(slow.slow)}")
    if pending:
        problems.append(f"tasks still pending at the end: {', '.join(pending)}")
    if left:
        problems.append(f"threads still running at the end: {', '.join(left)}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# No daemon a test starts may reboot the host: unless a test names its own, the reboot
# command of a stop failure (pyhb.daemon.fence) does nothing. The namespace lab gives
# its daemons a power-off of the namespace node instead (pyhb.lab.fencing).
os.environ.setdefault("PYHB_REBOOT_COMMAND", "/bin/true")
