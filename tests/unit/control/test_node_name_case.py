"""Node names match in any letter case, as in heartbeat: ``DB1`` in ha.cf, ``db1`` from
``uname -n``, ``Db1`` typed on the command line are one node."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhb.cli import cl_status
from pyhb.config.hacf import parse_hacf
from pyhb.config.haresources import parse_haresources
from pyhb.config.load import local_node_name
from pyhb.config.model import node_key

from .conftest import ServerThread


def run(st: ServerThread, *args: str) -> int:
    return cl_status.main(["--run-dir", str(st.run_dir), *args])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("nodestatus", "{}"), "active\n"),
        (("nodetype", "{}"), "normal\n"),
        (("nodeweight", "{}"), "100\n"),
        (("hblinkstatus", "{}", "hb0"), "up\n"),
        (("listhblinks", "{}"), "\thb0\n"),
    ],
)
@pytest.mark.parametrize("name", ["b", "B"])
def test_cl_status_finds_a_node_in_any_case(
    served: ServerThread,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    expected: str,
    name: str,
) -> None:
    assert run(served, *(a.format(name) for a in args)) == 0
    assert capsys.readouterr() == (expected, "")


def test_cl_status_still_rejects_an_unknown_node(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(served, "nodestatus", "C") == 11
    assert capsys.readouterr().err == "Error. May be due to incorrect node name\n"


def test_hacf_node_names_are_lower_cased_and_match_the_local_name() -> None:
    text = "bcast eth0\nnode DB1 Db2\nauto_failback on\nlogfile /x\n"
    cfg, issues = parse_hacf(text, "ha.cf", local_node="db2")
    assert cfg.node == ("db1", "db2")
    assert not [i for i in issues if i.severity.name == "ERROR"]


def test_hacf_duplicate_node_in_another_case_is_the_same_node() -> None:
    cfg, _ = parse_hacf("bcast eth0\nnode db1 DB1 db2\nlogfile /x\n", "ha.cf", local_node="db1")
    assert cfg.node == ("db1", "db2")


def test_haresources_node_is_lower_cased() -> None:
    groups, issues = parse_haresources("DB1 10.0.0.50 tsvc\n", "haresources")
    assert not issues
    assert groups[0].node == "db1"


def test_local_name_from_nodeinfo_or_argument_is_lower_cased(tmp_path: Path) -> None:
    assert local_node_name(tmp_path, "DB1") == "db1"
    (tmp_path / "nodeinfo").write_text("DB2\n")
    assert local_node_name(tmp_path) == "db2"


def test_one_normalisation() -> None:
    assert node_key("DB1") == node_key("db1") == node_key("Db1") == "db1"


def test_engine_accepts_src_and_dest_in_another_case() -> None:
    """A peer that sends its name as ``B`` (src, and dest of its answers) is node b."""
    from pyhb.config.model import AutoFailback
    from pyhb.core.events import NodeStatus
    from tests.helpers.sim import ClusterSim, make_config

    vip = "10.77.0.100/24/hb0"
    upper = make_config("a", auto_failback=AutoFailback.LEGACY)
    upper = type(upper)(upper.confdir, "B", upper.ha, upper.authkeys, upper.groups)
    sim = ClusterSim({"a": make_config("a", auto_failback=AutoFailback.LEGACY), "b": upper})
    sim.start("b")
    sim.run_for(3)
    sim.start("a")
    sim.run_until(lambda: sim.owners(vip) == ["a"], limit=5)
    sim.run_for(10)
    assert sim.owners(vip) == ["a"]
    a = sim.nodes["a"].engine
    assert a is not None
    peer = a.peers.get("B")
    assert peer is not None
    assert peer.status is NodeStatus.ACTIVE
    assert "message from unknown node" not in sim.log_text("a")
