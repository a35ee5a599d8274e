"""The suite's guard (tests/conftest.py) fails a test that leaves a thread running or a
task pending, or that blocks its event loop; it passes one that cleans up after itself."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"

INNER = """
import asyncio
import threading
import time

import pytest


def test_leaks_a_thread():
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()


@pytest.mark.asyncio
async def test_leaks_a_task():
    asyncio.get_running_loop().create_task(asyncio.sleep(30))


@pytest.mark.asyncio
async def test_blocks_the_loop():
    time.sleep(0.8)


@pytest.mark.asyncio
async def test_cleans_up():
    task = asyncio.get_running_loop().create_task(asyncio.sleep(30))
    thread = threading.Thread(target=time.sleep, args=(0.05,))
    thread.start()
    await asyncio.sleep(0.05)
    task.cancel()
    thread.join()
"""

INI = """
[pytest]
asyncio_mode = strict
asyncio_debug = true
"""


def test_the_guard_fails_leaks_and_blocking_and_nothing_else(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini(INI)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE", "-q")
    result.assert_outcomes(passed=4, errors=3)
    result.stdout.fnmatch_lines(
        [
            "ERROR test_inner.py::test_leaks_a_thread - Failed: threads still running*",
            "ERROR test_inner.py::test_leaks_a_task - Failed: tasks still pending*",
            "ERROR test_inner.py::test_blocks_the_loop - Failed: event loop blocked*",
        ],
        consecutive=False,
    )
    assert "ERROR test_inner.py::test_cleans_up" not in result.stdout.str()
