"""Fixtures for tests that run nodes in network namespaces (root only, marker ``netns``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from tests.helpers.netns import Lab, cleanup_stale, netns_available


@pytest.fixture(scope="session")
def netns_ready() -> None:
    """Skip unless namespaces can be made here; remove leftovers of crashed runs once."""
    reason = netns_available()
    if reason is not None:
        pytest.skip(reason)
    cleanup_stale()


@pytest.fixture
def make_lab(netns_ready: None) -> Iterator[Callable[..., Lab]]:
    """Build started labs (``make_lab(("a", "b", "c"), client=False)``); all torn down after."""
    labs: list[Lab] = []

    def make(nodes: Sequence[str] = ("a", "b"), **kwargs: object) -> Lab:
        lab = Lab(nodes, **kwargs)  # type: ignore[arg-type]
        labs.append(lab)
        lab.start()
        return lab

    yield make
    for lab in labs:
        lab.close()


@pytest.fixture
def lab(make_lab: Callable[..., Lab]) -> Lab:
    """Two nodes ``a`` (10.77.0.1) and ``b`` (10.77.0.2) plus a client (10.77.0.200)."""
    return make_lab(("a", "b"))
