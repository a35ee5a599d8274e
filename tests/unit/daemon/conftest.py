"""Fixtures shared by the daemon's unit tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from pyhb.daemon import logsetup


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The root logger as it was before the test: the handlers the daemon's logging set
    up are stopped (``logsetup.shutdown``) and closed, the test's own handlers put back."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    yield
    logsetup.shutdown()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)
