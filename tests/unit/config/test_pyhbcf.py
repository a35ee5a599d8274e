"""pyhb.cf: resource monitors and the metrics listener, each problem at its path:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhb.cli import check
from pyhb.config import ConfigError, load_config
from pyhb.config.haresources import parse_haresources
from pyhb.config.monitors import ListenAddress, MonitorSpec, PyhbSettings
from pyhb.config.pyhbcf import parse_pyhbcf, parse_seconds
from tests.unit.config.test_load import write_confdir

RES = "alpha 10.0.0.3 httpd Filesystem::/dev/drbd0::/data::ext4\nbeta Dummy::x\n"
GROUPS, _ = parse_haresources(RES, "haresources")


def parse(text: str) -> tuple[PyhbSettings, list[str]]:
    settings, issues = parse_pyhbcf(text, "/etc/ha.d/pyhb.cf", GROUPS)
    return settings, [str(i) for i in issues]


def test_the_example_of_the_documentation_parses() -> None:
    settings, issues = parse(
        "# monitors\n"
        "monitor httpd interval=5s timeout=20s restarts=2 window=10m\n"
        "monitor IPaddr::10.0.0.3 interval=2s\n"
        "monitor Filesystem::/dev/drbd0::/data::ext4 interval=10s check=/bin/true\n"
        "metrics_listen 127.0.0.1:9694\n"
    )
    assert issues == []
    assert settings.monitors == (
        MonitorSpec("httpd", 5.0, 20.0, 2, 600.0, None, 2),
        MonitorSpec("IPaddr::10.0.0.3", interval=2.0, line=3),
        MonitorSpec("Filesystem::/dev/drbd0::/data::ext4", interval=10.0, check=("/bin/true",),
                    line=4),
    )  # fmt: skip
    assert settings.metrics_listen == ListenAddress("127.0.0.1", 9694)


def test_defaults_bare_ip_shorthand_and_quoted_check_arguments() -> None:
    settings, issues = parse("monitor 10.0.0.3\nmonitor httpd check='/bin/test -e /x'\n")
    assert issues == []
    ip, httpd = settings.monitors
    assert (ip.resource, ip.interval, ip.timeout, ip.restarts, ip.window, ip.check) == (
        "IPaddr::10.0.0.3", 10.0, 20.0, 1, 600.0, None,
    )  # fmt: skip
    assert httpd.check == ("/bin/test", "-e", "/x")
    assert settings.metrics_listen is None


def test_an_empty_file_monitors_nothing() -> None:
    assert parse("\n# nothing\n") == (PyhbSettings(), [])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("monitor nginx", "monitor: no resource 'nginx' in haresources"),
        ("monitor", "monitor: name the resource"),
        ("monitor httpd interval=0", "duration '0' must be more than 0"),
        ("monitor httpd interval=5x", "invalid duration '5x'"),
        ("monitor httpd restarts=-1", "restarts='-1': must be a whole number"),
        ("monitor httpd check=relative", "must start with an absolute path"),
        ("monitor httpd colour=red", "unknown option 'colour'"),
        ("monitor httpd interval", "'interval' is not OPTION=VALUE"),
        ("monitor httpd interval=1 interval=2", "interval= given twice"),
        ("metrics_listen 9694", "metrics_listen '9694': expected HOST:PORT"),
        ("metrics_listen host.example:1", "'host.example' is not an IP address"),
        ("metrics_listen 127.0.0.1:0", "port must be a number from 1 to 65535"),
        ("metrics_listen", "metrics_listen takes one HOST:PORT"),
        ("keepalive 2", "unknown directive 'keepalive'"),
        ("monitor 'httpd", "cannot split the line into words"),
    ],
)
def test_each_bad_line_is_an_error_at_its_line(line: str, message: str) -> None:
    settings, issues = parse(f"# first\n{line}\n")
    assert len(issues) == 1
    assert issues[0].startswith("/etc/ha.d/pyhb.cf:2: error: ")
    assert message in issues[0]
    assert settings.monitors == ()


def test_a_repeated_monitor_is_an_error_naming_the_first_line() -> None:
    _, issues = parse("monitor httpd\nmonitor httpd interval=1\n")
    assert issues == ["/etc/ha.d/pyhb.cf:2: error: monitor httpd: already given on line 1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics_listen [::1]:9694\n", ListenAddress("::1", 9694)),
        ("METRICS_LISTEN *:9100\n", ListenAddress("0.0.0.0", 9100)),
        ("metrics_listen :9100\n", ListenAddress("0.0.0.0", 9100)),
        ("metrics_listen 10.0.0.1:1\nmetrics_listen 10.0.0.2:2  # last wins\n",
         ListenAddress("10.0.0.2", 2)),
    ],
)  # fmt: skip
def test_metrics_listen_forms_as_the_exporter_reads_them(
    text: str, expected: ListenAddress
) -> None:
    settings, issues = parse(text)
    assert (settings.metrics_listen, issues) == (expected, [])


def test_a_check_that_is_not_executable_here_is_a_warning() -> None:
    _, issues = parse("monitor httpd check=/nonexistent/check\n")
    assert issues == [
        "/etc/ha.d/pyhb.cf:1: warning: monitor httpd: check command /nonexistent/check is "
        "not an executable file here"
    ]


def test_durations() -> None:
    assert [parse_seconds(t) for t in ("5", "1.5s", "500ms", "10m", "1h")] == [
        5.0, 1.5, 0.5, 600.0, 3600.0,
    ]  # fmt: skip


def test_load_reads_pyhbcf_and_its_absence_means_no_monitoring(tmp_path: Path) -> None:
    confdir = write_confdir(tmp_path)
    assert load_config(confdir, "alpha").pyhb == PyhbSettings()
    (confdir / "pyhb.cf").write_text("monitor Dummy::x interval=3\n")
    assert load_config(confdir, "alpha").pyhb.monitors == (
        MonitorSpec("Dummy::x", interval=3.0, line=1),
    )
    (confdir / "pyhb.cf").write_text("monitor Dummy::y\n")
    with pytest.raises(ConfigError, match=r"pyhb.cf:1: error: monitor: no resource 'Dummy::y'"):
        load_config(confdir, "alpha")


def test_pyhb_check_reports_pyhbcf_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    confdir = write_confdir(tmp_path)
    (confdir / "pyhb.cf").write_text("\nmonitor Dummy::x window=never\n")
    assert check.main(["-c", str(confdir), "-n", "alpha", "--no-interfaces"]) == 1
    out = capsys.readouterr().out
    assert f"{confdir}/pyhb.cf:2: error: monitor Dummy::x: invalid duration 'never'" in out


def test_pyhb_check_refuses_an_unreadable_pyhbcf(tmp_path: Path) -> None:
    confdir = write_confdir(tmp_path)
    (confdir / "pyhb.cf").mkdir()
    assert check.main(["-c", str(confdir), "-n", "alpha", "--no-interfaces"]) == 2
