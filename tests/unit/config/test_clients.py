"""ha.cf ping nodes (ping, ping_group, deadping) and respawn clients: parsing and checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyhb.cli import check
from pyhb.config.clients import check_clients, resolve_program
from pyhb.config.hacf import parse_hacf
from pyhb.config.model import HaConfig, PingNode, RespawnClient
from pyhb.config.source import ConfigIssue, Severity
from tests.unit.config.test_load import HACF, write_confdir

BASE = "bcast eth1\nnode alpha beta\nauto_failback on\nlogfile /var/log/ha-log\n"


def parse(text: str) -> tuple[HaConfig, list[ConfigIssue]]:
    return parse_hacf(BASE + text, "ha.cf", "alpha")


def rendered(issues: list[ConfigIssue]) -> list[str]:
    return [str(i) for i in issues]


def test_ping_declares_one_ping_node_per_address_without_warning() -> None:
    cfg, issues = parse("ping 10.0.0.1 10.0.0.2,gw.example\n")
    assert issues == []
    assert cfg.ping_nodes == (
        PingNode("10.0.0.1", ("10.0.0.1",), 5),
        PingNode("10.0.0.2", ("10.0.0.2",), 5),
        PingNode("gw.example", ("gw.example",), 5),
    )


def test_ping_group_declares_one_named_node_for_all_its_addresses() -> None:
    cfg, issues = parse("ping_group Routers 10.0.0.1 10.0.0.2\n")
    assert issues == []
    assert cfg.ping_nodes == (PingNode("routers", ("10.0.0.1", "10.0.0.2"), 5),)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ping 10.0.0.300", "ha.cf:5: error: ping: invalid IPv4 address '10.0.0.300'"),
        ("ping fe80::1", "ha.cf:5: error: ping: 'fe80::1' is an IPv6 address"),
        ("ping bad/host", "ha.cf:5: error: ping: invalid address 'bad/host'"),
        ("ping_group grp", "ha.cf:5: error: ping_group: expected 'ping_group NAME ADDR"),
        ("ping_group grp 1.2.3.999", "ha.cf:5: error: ping_group: invalid IPv4 address"),
        ("ping beta", "ha.cf:5: error: ping node 'beta' has the name of a cluster node"),
    ],
)
def test_bad_ping_lines_are_errors_naming_file_and_line(line: str, message: str) -> None:
    _, issues = parse(line + "\n")
    assert len(issues) == 1
    assert rendered(issues)[0].startswith(message)


def test_a_ping_node_given_twice_is_an_error_naming_the_first_line() -> None:
    _, issues = parse("ping 10.0.0.1\nping_group 10.0.0.1 10.0.0.2\n")
    assert rendered(issues) == ["ha.cf:6: error: ping node '10.0.0.1' already defined on line 5"]


def test_deadping_defaults_to_deadtime_and_is_kept_in_milliseconds() -> None:
    cfg, _ = parse("deadtime 20\n")
    assert cfg.deadping == 20000
    assert cfg.params["deadping"] == "20000ms"
    cfg, _ = parse("deadping 5\n")
    assert (cfg.deadping, cfg.params["deadping"]) == (5000, "5")


def test_respawn_lines_become_clients_in_order() -> None:
    cfg, issues = parse(
        "respawn hacluster /usr/lib/heartbeat/ipfail\nrespawn root /bin/prog -a  b\n"
    )
    assert issues == []
    assert cfg.respawn == (
        RespawnClient("hacluster", "/usr/lib/heartbeat/ipfail", 5),
        RespawnClient("root", "/bin/prog -a  b", 6),
    )
    assert cfg.respawn[1].program == "/bin/prog"


def _check(text: str, executable: set[str], users: set[str]) -> list[str]:
    cfg, issues = parse(text)
    assert issues == []
    found = check_clients(
        cfg, "ha.cf", executable=executable.__contains__, user_exists=users.__contains__
    )
    return rendered(found)


def test_respawn_check_accepts_an_existing_user_and_program() -> None:
    assert _check("respawn hacluster /bin/prog\n", {"/bin/prog"}, {"hacluster"}) == []


def test_respawn_check_refuses_an_unknown_user_and_a_missing_program() -> None:
    assert _check("respawn nobody9 /bin/prog x\n", set(), set()) == [
        "ha.cf:5: error: respawn: no such user 'nobody9'",
        "ha.cf:5: error: respawn: /bin/prog is not an executable file",
    ]


def test_respawn_check_says_the_old_ipfail_path_runs_the_new_one() -> None:
    new = "/usr/libexec/heartbeat/ipfail"
    assert _check("respawn hacluster /usr/lib/heartbeat/ipfail\n", {new}, {"hacluster"}) == [
        "ha.cf:5: warning: respawn: /usr/lib/heartbeat/ipfail does not exist; running "
        "/usr/libexec/heartbeat/ipfail instead; write /usr/libexec/heartbeat/ipfail in ha.cf"
    ]


def test_resolve_program_keeps_a_program_that_exists_and_one_with_no_new_home() -> None:
    both = {"/usr/lib/heartbeat/ipfail", "/usr/libexec/heartbeat/ipfail"}
    assert resolve_program("/usr/lib/heartbeat/ipfail", both.__contains__) == (
        "/usr/lib/heartbeat/ipfail",
        None,
    )
    assert resolve_program("/usr/lib/heartbeat/x", set().__contains__) == (
        "/usr/lib/heartbeat/x",
        None,
    )
    assert resolve_program("/usr/lib64/heartbeat/ipfail", both.__contains__)[0] == (
        "/usr/libexec/heartbeat/ipfail"
    )


def test_check_clients_reports_problems_of_a_real_config_as_errors() -> None:
    cfg, _ = parse("respawn root /nonexistent/prog\n")
    (issue,) = check_clients(cfg, "ha.cf")
    assert issue.severity is Severity.ERROR
    assert issue.line == 5


@pytest.mark.skipif(
    not os.access("/usr/libexec/heartbeat/ipfail", os.X_OK)
    or os.path.exists("/usr/lib/heartbeat/ipfail"),
    reason="needs Debian 12's heartbeat package (ipfail in /usr/libexec/heartbeat only)",
)
def test_pyhb_check_says_what_to_change_for_the_old_ipfail_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    confdir = write_confdir(
        tmp_path,
        HACF + "ping 127.0.0.1\nrespawn root /usr/lib/heartbeat/ipfail\nrespawn nosuchuser9 /x\n",
    )
    assert check.main(["-c", str(confdir), "-n", "alpha"]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    hacf = confdir / "ha.cf"
    assert (
        f"{hacf}:6: warning: respawn: /usr/lib/heartbeat/ipfail does not exist; running "
        "/usr/libexec/heartbeat/ipfail instead; write /usr/libexec/heartbeat/ipfail in ha.cf"
    ) in text
    assert f"{hacf}:7: error: respawn: no such user 'nosuchuser9'" in text
    assert f"{hacf}:7: error: respawn: /x is not an executable file" in text
    assert "Traceback" not in text
