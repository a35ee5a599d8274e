"""pyhb.agents.names states the agents pyhb knows; the modules that act on them agree."""

from __future__ import annotations

from pathlib import Path

from pyhb.agents import names
from pyhb.agents.args import RULES
from pyhb.agents.registry import build_registry
from pyhb.config.haresources import parse_resource
from pyhb.resources.locate import REPLACEABLE_MARKERS


def test_the_registry_builds_exactly_the_builtin_agents(tmp_path: Path) -> None:
    """The daemon runs in-process the agents listed as built in, and no others."""
    registry = build_registry(tmp_path)
    try:
        assert tuple(registry.agents) == names.BUILTIN
    finally:
        registry.close()


def test_argument_rules_cover_the_checked_agents() -> None:
    """``pyhb check`` reads the arguments of the agents listed as checked."""
    assert tuple(RULES) == names.CHECKED


def test_built_in_agents_may_stand_in_for_their_stock_scripts() -> None:
    """Each built-in agent knows the stock wrapper it may replace."""
    assert tuple(REPLACEABLE_MARKERS) == names.BUILTIN


def test_address_agents_and_the_bare_address_shorthand() -> None:
    """IPaddr and IPaddr2 add addresses; a bare IPv4 address stands for IPaddr."""
    assert [n for n in names.BUILTIN if names.is_address_agent(n)] == ["IPaddr", "IPaddr2"]
    assert parse_resource("10.0.0.1").name == names.SHORTHAND == "IPaddr"
