"""cl_status behaviour beyond the captures: -m forms, argument errors, getopt, timeouts."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

import pyhb
import pyhb.control.client
from pyhb.cli import cl_status
from pyhb.core.snapshot import NodeView

from .conftest import ServerThread, node, snapshot

LOG = r"[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d \S+ cl_status: \[\d+\]: ERROR: "


def run(st: ServerThread | Path, *args: str) -> int:
    run_dir = st.run_dir if isinstance(st, ServerThread) else st
    return cl_status.main(["--run-dir", str(run_dir), *args])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("nodestatus", "-m", "b"), "The cluster node b is active\n"),
        (("nodestatus", "b", "-m"), "The cluster node b is active\n"),
        (("nodetype", "-m", "a"), "The node a's type: normal\n"),
        (("nodeweight", "-m", "a"), "The weight of the cluster node a is 100\n"),
        (("nodesite", "-m", "a"), "The site of the cluster node a is \n"),
        (("hblinkstatus", "-m", "b", "hb0"), "The node b's heartbeat link hb0 is up\n"),
        (("rscstatus", "-m"), "This node is holding local resources.\n"),
        (("hbparameter", "-m", "-p", "deadtime"), "Heartbeat parameter deadtime's value: 5\n"),
        (("hbparameter", "-pkeepalive"), "1\n"),
        (("listnodes", "-m"), "The nodes are as follow:\nb\na\n"),
        (("listnodes", "-p"), ""),
        (("listnodes", "-n", "-p"), "b\na\n"),
        (("listhblinks", "-m", "b"), "\tthis node has the following heartbeat links:\n\thb0\n"),
    ],
)
def test_human_readable_and_filter_options(
    served: ServerThread, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    """-m, -p, -n and mixed option/operand order print 3.0.6's wording and exit 0."""
    assert run(served, *args) == 0
    assert capsys.readouterr().out == expected


def test_hbstatus_verbose_human_form(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    """hbstatus -m -v prints the version sentence, the manager and the listing with headers."""
    assert run(served, "hbstatus", "-m", "-v") == 0
    assert capsys.readouterr().out == (
        f"Heartbeat version 3.0.6 (pyhb {pyhb.__version__})\n"
        'Resources controlled by "haresources"\n'
        "The nodes are as follow:\n"
        "\nb\tactive\t(nodetype: normal)\n"
        "\tthis node has the following heartbeat links:\n\thb0\tup\n"
        "\na\tactive\t(nodetype: normal)\n"
        "\tthis node has the following heartbeat links:\n\thb0\tup\n"
    )


def test_hbversion_defaults_to_pyhb_version(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without an engine-supplied hbversion the server reports ``3.0.6 (pyhb X.Y.Z)``."""
    assert run(served, "hbparameter", "-p", "hbversion") == 0
    assert capsys.readouterr().out == f"3.0.6 (pyhb {pyhb.__version__})\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nodestatus",), "Not enough parameters."),
        (("nodeweight",), "Not enough parameters."),
        (("nodesite",), "Not enough parameters."),
        (("nodetype",), "No enough parameter."),
        (("listhblinks",), "No enough parameter."),
        (("hblinkstatus", "b"), "No enough parameter."),
        (("clientstatus", "b"), "No enough parameter."),
        (("nodetype", "zz"), "Error. May be due to incorrect node name"),
        (("nodeweight", "zz"), "Error. Maybe due to incorrect node name."),
        (("nodesite", "zz"), "Error. May be due to incorrect node name"),
    ],
)
def test_missing_or_unknown_operands_exit_11_with_plain_stderr(
    served: ServerThread, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    """Operand errors print 3.0.6's plain (unstamped) message on stderr and exit 11."""
    assert run(served, *args) == 11
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"{message}\n")


def test_invalid_option_prints_getopt_and_log_lines(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown option gives glibc's message plus heartbeat's log line, exit 11."""
    assert run(served, "nodestatus", "-x", "a") == 11
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "nodestatus: invalid option -- 'x'"
    assert re.fullmatch(LOG + r"Error: getopt returnedcharacter \?\.", err[1])


def test_hbparameter_without_name_exits_11(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    """hbparameter with no -p logs ``parameter name required`` and exits 11."""
    assert run(served, "hbparameter") == 11
    assert re.fullmatch(LOG + "parameter name required\n", capsys.readouterr().err)


def test_unknown_subcommand_needs_no_daemon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``parameter`` (the man page's name) is an invalid sub-command: exit 11, log line."""
    assert run(tmp_path, "parameter", "-p", "x") == 11
    assert re.fullmatch(LOG + "parameter: invalid sub-command.\n", capsys.readouterr().err)


@pytest.mark.parametrize("args", [(), ("-h",)])
def test_help_is_identical_to_the_real_tool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    """No arguments or -h print the 3.0.6 help text (first and last lines checked) and exit 0."""
    assert run(tmp_path, *args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: cl_status <sub-command> [<options>] [<parameters>]\n\nSub-")
    assert out.endswith("\tAs for the valid parameter names, please refer to the man page.\n")
    assert out.count("\n") == 35


def test_stopped_daemon_verbose_hbstatus_adds_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hbstatus -v with no daemon adds 3.0.6's parenthesised sign-on failure, exit 1."""
    assert run(tmp_path, "hbstatus", "-v") == 1
    assert capsys.readouterr().out == (
        "Heartbeat is stopped on this machine.\n"
        "(hb_api_signon: Can't initiate connection to heartbeat)\n"
    )


def test_ping_node_reports_ping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A live ping node's status is ``ping`` (exit 0); listnodes -p lists only it."""
    ping = NodeView("10.77.0.254", node("x").status, (), type="ping")
    snap = snapshot("a", (node("b"), node("a"), ping), "local")
    from .conftest import FakeTarget

    with ServerThread(tmp_path / "run", FakeTarget(snap=snap)) as st:
        assert run(st, "nodestatus", "10.77.0.254") == 0
        assert run(st, "listnodes", "-p") == 0
    assert capsys.readouterr().out == "ping\n10.77.0.254\n"


def test_test_subcommand_prints_times_in_ms(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    """The undocumented ``test`` sub-command prints deadtime/keepalive in ms, node and rsc."""
    assert run(served, "test") == 0
    assert (
        capsys.readouterr().out
        == "Dead time: 5000\n keeplive time: 1000\n mynodeid: a\n rsc: local\n"
    )


def test_silent_daemon_times_out_with_exit_12(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A socket that accepts but never answers ends in exit 12 like 3.0.6's alarm."""
    monkeypatch.setattr(pyhb.control.client, "DEFAULT_TIMEOUT", 0.3)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "pyhb.sock"))
    listener.listen(1)
    try:
        assert run(tmp_path, "listnodes") == 12
    finally:
        listener.close()
    assert capsys.readouterr() == ("", "")
