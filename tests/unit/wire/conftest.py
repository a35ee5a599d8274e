"""Fixtures serving the captured heartbeat 3.0.6 datagrams."""

from __future__ import annotations

import pytest

from .capture_data import Capture, load_captures


@pytest.fixture(scope="session")
def captures() -> dict[str, Capture]:
    """Every capture, keyed by name."""
    return load_captures()
