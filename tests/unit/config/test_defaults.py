"""ha.cf defaults have one source, the directive table: the model and the parser agree."""

from __future__ import annotations

import dataclasses

from pyhb.config.directives import (
    DIRECTIVES,
    default_initdead,
    default_of,
    recorded,
)
from pyhb.config.hacf import parse_hacf
from pyhb.config.model import AutoFailback, HaConfig

MINIMAL = "node a\nnode b\nbcast eth0\nauto_failback legacy\nlogfacility daemon\n"
FROM_FILE = ("node", "media", "auto_failback", "logfacility", "params")


def test_a_minimal_hacf_parses_to_the_model_defaults() -> None:
    """Every setting ha.cf leaves out gets the same value from the parser as from
    ``HaConfig``'s own defaults."""
    parsed, issues = parse_hacf(MINIMAL, "ha.cf", "a")
    assert not [i for i in issues if i.severity == "error"]
    model = HaConfig(node=parsed.node)
    for f in dataclasses.fields(HaConfig):
        if f.name not in FROM_FILE:
            assert getattr(parsed, f.name) == getattr(model, f.name), f.name


def test_model_defaults_are_the_recorded_defaults_converted() -> None:
    """keepalive 1000ms, deadtime 30000ms, auto_failback legacy, as heartbeat -D records."""
    assert HaConfig(node=()).keepalive == default_of("keepalive", int) == 1000
    assert HaConfig(node=()).deadtime == default_of("deadtime", int) == 30000
    assert HaConfig(node=()).auto_failback is AutoFailback.LEGACY
    assert HaConfig(node=()).pacemaker is default_of("pacemaker", bool) is False


def test_initdead_default_follows_deadtime() -> None:
    """deadtime above 10 s: itself; under 6 s: 12 s; else twice deadtime."""
    assert default_initdead(30000) == 30000
    assert default_initdead(5000) == 12000
    assert default_initdead(8000) == 16000


def test_recorded_falls_back_to_the_table_default() -> None:
    """A raw value absent from params is the table's recorded default, or empty."""
    assert recorded({}, "realtime") == DIRECTIVES["realtime"].default == "true"
    assert recorded({"realtime": "off"}, "realtime") == "off"
    assert recorded({}, "rtprio") == ""
