"""``pyhb cleanup [GROUP]``: the request over the control socket, refusals, usage."""

from __future__ import annotations

import pytest

from pyhb.cli import cleanup, tool
from pyhb.core.events import Cleanup

from .conftest import ServerThread


@pytest.mark.parametrize(("args", "command"), [([], Cleanup(None)), (["httpd"], Cleanup("httpd"))])
def test_cleanup_reaches_the_engine(
    served: ServerThread, args: list[str], command: Cleanup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tool.main(["cleanup", "--run-dir", str(served.run_dir), *args]) == 0
    assert served.target.commands == [command]
    name = args[0] if args else "every group"
    assert capsys.readouterr().out == f"pyhb cleanup: failures of {name} cleared\n"


def test_a_refusal_is_printed_and_exits_1(
    served: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    served.target.refusal = "no resource group 'x' (groups: httpd)"
    assert cleanup.main(["--run-dir", str(served.run_dir), "x"]) == 1
    assert capsys.readouterr().err == "pyhb cleanup: no resource group 'x' (groups: httpd)\n"


def test_a_daemon_that_is_not_running_exits_1(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cleanup.main(["--run-dir", str(tmp_path)]) == 1
    assert "pyhb cleanup:" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cleanup.main(["a", "b"]) == 2
    assert "usage: pyhb cleanup" in capsys.readouterr().err
