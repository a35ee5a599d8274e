"""``pyhb status --json``: the document follows docs/status.schema.json through a failover,
and the holder, node states and monitor fields say what happened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pyhb.cli.status import render
from pyhb.config.model import AutoFailback, ResourceRef
from pyhb.control.status import SCHEMA, build_status
from pyhb.core.engine import Engine
from pyhb.core.snapshot import MonitorView
from tests.helpers.sim import ClusterSim, make_config

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "status.schema.json"
KEY = "10.77.0.100/24/hb0"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _sim(mode: AutoFailback) -> ClusterSim:
    return ClusterSim({n: make_config(n, auto_failback=mode) for n in ("a", "b")})


def _doc(sim: ClusterSim, name: str, **kwargs: Any) -> dict[str, Any]:
    engine = sim.nodes[name].engine
    assert isinstance(engine, Engine)
    doc = build_status(engine, now=sim.now, started=engine.started, version="9.9", **kwargs)
    # What the control socket sends is JSON: the document must survive it unchanged.
    assert json.loads(json.dumps(doc)) == doc
    return doc


def _node(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["name"] == name)


@pytest.mark.parametrize("mode", [AutoFailback.ON, AutoFailback.OFF, AutoFailback.LEGACY])
def test_document_is_valid_and_follows_a_failover(
    validator: jsonschema.Draft202012Validator, mode: AutoFailback
) -> None:
    sim = _sim(mode)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(KEY) == ["a"], 60)
    sim.run_for(3)
    before = _doc(sim, "b")
    validator.validate(before)
    assert before["schema"] == SCHEMA
    assert before["local_node"] == "b"
    assert before["auto_failback"] == mode.value
    assert before["timings"] == {
        "keepalive_ms": 1000, "deadtime_ms": 5000, "warntime_ms": 3000, "initdead_ms": 10000,
    }  # fmt: skip
    assert [(n["name"], n["status"], n["local"]) for n in before["nodes"]] == [
        ("b", "active", True),
        ("a", "active", False),
    ]
    assert _node(before, "a")["links"] == [{"name": "hb0", "status": "up"}]
    (group,) = before["groups"]
    assert (group["key"], group["preferred_node"]) == (KEY, "a")
    assert (group["holder"], group["state"]) == ("a", "stopped")
    assert _doc(sim, "a")["groups"][0]["holder"] == "a"
    assert _doc(sim, "a")["groups"][0]["state"] == "running"

    sim.kill("a")
    sim.run_until(lambda: sim.owners(KEY) == ["a", "b"], 30)
    sim.run_for(1)
    after = _doc(sim, "b")
    validator.validate(after)
    assert _node(after, "a")["status"] == "dead"
    assert _node(after, "a")["links"] == [{"name": "hb0", "status": "dead"}]
    assert (after["groups"][0]["holder"], after["groups"][0]["state"]) == ("b", "running")
    assert after["rscstatus"] == "all"
    assert after["uptime_seconds"] > before["uptime_seconds"]


def test_resources_without_a_monitor_are_reported_unmonitored(
    validator: jsonschema.Draft202012Validator,
) -> None:
    sim = _sim(AutoFailback.ON)
    sim.start("a")
    sim.run_for(15)
    doc = _doc(sim, "a")
    validator.validate(doc)
    (resource,) = doc["groups"][0]["resources"]
    assert resource["resource"] == KEY  # the word as written in haresources
    assert resource["monitor"]["monitored"] is False
    assert all(v is None for k, v in resource["monitor"].items() if k != "monitored")
    assert "unmonitored" in render(doc)


def test_monitor_state_is_rendered_from_the_accessor(
    validator: jsonschema.Draft202012Validator,
) -> None:
    sim = _sim(AutoFailback.ON)
    sim.start("a")
    sim.run_for(15)
    asked: list[tuple[str, str]] = []

    def accessor(key: str, ref: ResourceRef) -> MonitorView | None:
        asked.append((key, ref.text))
        return MonitorView(1_795_319_400.5, False, 2, 60.0, 1, False)

    doc = _doc(sim, "a", monitor=accessor)
    validator.validate(doc)
    assert asked == [(KEY, KEY)]
    assert doc["groups"][0]["resources"][0]["monitor"] == {
        "monitored": True, "last_check": 1_795_319_400.5, "last_check_ok": False,
        "failures_in_window": 2, "window_seconds": 60.0, "restarts": 1, "cleared": False,
    }  # fmt: skip
    text = render(doc)
    assert "2 failure(s) in 60 s, 1 restart(s), NOT cleared" in text
    assert "FAILED" in text


def test_the_schema_rejects_what_it_must(validator: jsonschema.Draft202012Validator) -> None:
    """The schema is not a rubber stamp: broken documents fail it."""
    sim = _sim(AutoFailback.ON)
    sim.start("a")
    sim.run_for(15)
    good = _doc(sim, "a")
    bad_status = json.loads(json.dumps(good))
    bad_status["nodes"][0]["status"] = "alive"
    no_holder = json.loads(json.dumps(good))
    del no_holder["groups"][0]["holder"]
    half_monitor = json.loads(json.dumps(good))
    half_monitor["groups"][0]["resources"][0]["monitor"]["restarts"] = 3
    for doc in (bad_status, no_holder, half_monitor):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(doc)


def test_human_summary_names_nodes_links_and_groups() -> None:
    sim = _sim(AutoFailback.ON)
    sim.start("a")
    sim.start("b")
    sim.run_until(lambda: sim.owners(KEY) == ["a"], 60)
    text = render(_doc(sim, "a"))
    assert "on node a (active)" in text
    assert "keepalive 1000 ms, deadtime 5000 ms" in text
    assert "a (local)" in text
    assert "links: hb0 up" in text
    assert f"{KEY}: preferred a, held by a, running here" in text
