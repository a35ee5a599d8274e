"""ha.cf's fencing lines: ``stonith``, ``stonith_host`` and ``watchdog`` are parsed (not
ignored), with errors naming file and line."""

from __future__ import annotations

from pyhb.config.fencing import ANY_HOST, Fencing, StonithDevice
from pyhb.config.hacf import parse_hacf
from pyhb.config.model import HaConfig
from pyhb.config.source import ConfigIssue

BASE = "bcast eth1\nnode alpha beta\nauto_failback on\nlogfile /var/log/ha-log\n"


def parse(text: str) -> tuple[HaConfig, list[str]]:
    cfg, issues = parse_hacf(text, "ha.cf", "alpha")
    return cfg, [str(i) for i in issues]


def test_no_fencing_lines_means_no_devices_and_no_watchdog() -> None:
    cfg, issues = parse(BASE)
    assert cfg.fencing == Fencing()
    assert cfg.fencing.devices_for("alpha") == ()
    assert issues == []


def test_stonith_line_names_type_and_config_file() -> None:
    cfg, issues = parse(BASE + "stonith baytech /etc/ha.d/conf/stonith.baytech\n")
    assert issues == []
    assert cfg.fencing.devices == (
        StonithDevice("baytech", ANY_HOST, (), "/etc/ha.d/conf/stonith.baytech", 5),
    )
    assert cfg.fencing.devices[0].directive == "stonith"


def test_stonith_host_lines_keep_order_params_and_whom_they_serve() -> None:
    cfg, issues = parse(
        BASE
        + "stonith_host * baytech 10.0.0.3 mylogin mysecretpassword\n"
        + "stonith_host BETA external/ssh alpha\n"
        + "stonith_host alpha external/ipmi beta 10.0.0.9 admin secret lanplus\n"
    )
    assert issues == []
    devices = cfg.fencing.devices
    assert [(d.host, d.type, d.params, d.line) for d in devices] == [
        ("*", "baytech", ("10.0.0.3", "mylogin", "mysecretpassword"), 5),
        ("beta", "external/ssh", ("alpha",), 6),
        ("alpha", "external/ipmi", ("beta", "10.0.0.9", "admin", "secret", "lanplus"), 7),
    ]
    assert cfg.fencing.devices_for("alpha") == (devices[0], devices[2])
    assert cfg.fencing.devices_for("Beta") == (devices[0], devices[1])
    assert all(d.directive == "stonith_host" for d in devices)


def test_short_stonith_lines_are_errors_at_their_line() -> None:
    _, issues = parse(BASE + "stonith baytech\nstonith_host * baytech\n")
    assert issues == [
        "ha.cf:5: error: stonith: expected 'stonith TYPE CONFIGFILE' (got 'baytech')",
        "ha.cf:6: error: stonith_host: expected 'stonith_host HOST TYPE PARAMS...' "
        "(got '* baytech')",
    ]


def test_watchdog_names_the_device_and_its_line() -> None:
    cfg, issues = parse(BASE + "watchdog /dev/watchdog\n")
    assert issues == []
    assert (cfg.fencing.watchdog, cfg.fencing.watchdog_line) == ("/dev/watchdog", 5)
    assert cfg.params["watchdog"] == "/dev/watchdog"


def test_fencing_lines_are_not_reported_as_ignored() -> None:
    _, issues = parse(
        BASE + "watchdog /dev/watchdog\nstonith_host * null alpha beta\nstonith null /x\n"
    )
    assert not [i for i in issues if "ignored" in i]


def test_issue_type_is_rendered_with_path_and_line() -> None:
    issue = parse_hacf(BASE + "stonith_host *\n", "/etc/ha.d/ha.cf")[1][0]
    assert isinstance(issue, ConfigIssue)
    assert str(issue).startswith("/etc/ha.d/ha.cf:5: error: stonith_host:")


def test_failfast_is_an_error_since_ignoring_it_drops_a_reboot() -> None:
    """pyhb runs no failfast children: the line cannot be honoured, and ignoring it would
    leave the node up when the site asked for a reboot."""
    _, issues = parse(BASE + "failfast hacluster /usr/lib/heartbeat/ipfail\n")
    assert issues == [
        "ha.cf:5: error: failfast: pyhb does not run /usr/lib/heartbeat/ipfail, so the "
        "reboot this line asks for when it dies would never happen; remove the line to run "
        "without it"
    ]
