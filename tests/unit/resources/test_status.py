"""Heartbeat's status-output rule (``we_own_resource``), case by case."""

from __future__ import annotations

import pytest

from pyhb.resources.status import owned_from_status_output


@pytest.mark.parametrize(
    ("stdout", "owned"),
    [
        ("running", True),
        ("Running", True),
        ("INFO:  Running OK\n", True),
        ("OK", True),
        ("status: ok", False),  # only upper-case OK counts
        ("httpd (pid 1234) is running...\n", True),
        ("httpd is not running", False),
        ("NOT running", False),
        ("Not Running", False),
        ("not currently running", False),
        ("notrunning", True),  # no blank after "not": the first pattern does not match
        ("INFO:  Resource is stopped\n", False),
        ("stopped (Secondary)", False),
        ("", False),
        ("RUNNING", False),  # only R/r is case-free; the rest must be lower case
        ("line one\nnot\nthen later running", True),  # blank required right after "not"
        ("is not\tbut running", True),
        ("it is not really running\n", False),
    ],
)
def test_status_output_rule(stdout: str, owned: bool) -> None:
    """The shell patterns of docs/architecture.md#status-rule decide ownership from stdout alone."""
    assert owned_from_status_output(stdout) is owned
