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
# created is still pending, or if a callback held its event loop for longer than
# LOOP_BLOCK_LIMIT. Every event loop of the suite runs in asyncio's debug mode, which
# reports each slow callback. Pending tasks are seen where the runner would cancel them
# (pytest-asyncio 1.x) or, failing that, when their loop is closed (0.20, Debian 12's).

LOOP_BLOCK_LIMIT = 0.5  # seconds: far above any callback's work, below a keepalive
THREAD_GRACE = 2.0  # seconds a finishing thread gets to end after its test

_pending_at_close: list[asyncio.Task[object]] = []


def _note_pending(loop: asyncio.AbstractEventLoop) -> None:
    _pending_at_close.extend(t for t in asyncio.all_tasks(loop) if not t.done())


_cancel_all_tasks = getattr(asyncio.runners, "_cancel_all_tasks", None)
if _cancel_all_tasks is not None:

    def _record_pending(loop: asyncio.AbstractEventLoop) -> None:
        _note_pending(loop)
        _cancel_all_tasks(loop)

    asyncio.runners._cancel_all_tasks = _record_pending  # type: ignore[attr-defined]


class _GuardedLoop(asyncio.SelectorEventLoop):
    def set_debug(self, enabled: bool) -> None:
        super().set_debug(True)  # whatever the runner asks: slow callbacks are reported

    def close(self) -> None:
        if not self.is_closed():
            _note_pending(self)
        super().close()


class _GuardedPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = _GuardedLoop()
        loop.set_debug(True)
        return loop

    def set_event_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        # A loop replaced while idle is closed, not left to the garbage collector (whose
        # warnings about its sockets would land in whichever test runs then).
        old = getattr(self._local, "_loop", None)
        if old is not None and old is not loop and not old.is_running() and not old.is_closed():
            old.close()
        super().set_event_loop(loop)


asyncio.set_event_loop_policy(_GuardedPolicy())


class _SlowCallbacks(logging.Handler):
    _PATTERN = re.compile(r"^Executing (?P<what>.*) took (?P<took>[0-9.]+) seconds$", re.S)

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.slow: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = self._PATTERN.match(record.getMessage())
        if match and float(match["took"]) > LOOP_BLOCK_LIMIT:
            self.slow.append(f"{match['what']} took {match['took']} s")


class _Guard:
    """What one test left behind: started before its setup, read after its teardown
    (so after every fixture, the event loop's included, has been finalised)."""

    def __init__(self) -> None:
        self.before = set(threading.enumerate())
        _pending_at_close.clear()
        self.slow = _SlowCallbacks()
        logging.getLogger("asyncio").addHandler(self.slow)

    def problems(self) -> list[str]:
        logging.getLogger("asyncio").removeHandler(self.slow)
        pending = list(dict.fromkeys(repr(t) for t in _pending_at_close))
        _pending_at_close.clear()
        deadline = time.monotonic() + THREAD_GRACE
        started = [t for t in threading.enumerate() if t not in self.before]
        for thread in started:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = [t.name for t in started if t.is_alive()]
        found = []
        if self.slow.slow:
            found.append(f"event loop blocked: {'; '.join(self.slow.slow)}")
        if pending:
            found.append(f"tasks still pending at the end: {', '.join(pending)}")
        if left:
            found.append(f"threads still running at the end: {', '.join(left)}")
        return found


_GUARD = pytest.StashKey[_Guard]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.stash[_GUARD] = _Guard()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    guard = item.stash.get(_GUARD, None)
    if guard is not None:
        found = guard.problems()
        if found:
            pytest.fail("\n".join(found), pytrace=False)


# No daemon a test starts may reboot the host: unless a test names its own, the reboot
# command of a stop failure (pyhb.daemon.fence) does nothing. The namespace lab gives
# its daemons a power-off of the namespace node instead (pyhb.lab.fencing).
os.environ.setdefault("PYHB_REBOOT_COMMAND", "/bin/true")
