"""The resource-script limits the daemon takes from its environment."""

from __future__ import annotations

import pytest

from pyhb.daemon.scriptenv import runner_limits
from pyhb.resources.plan import Timeouts


def test_nothing_set_keeps_the_runner_defaults() -> None:
    assert runner_limits({}) == {}


def test_stop_retries_and_timeout_are_read() -> None:
    limits = runner_limits({"HA_STOPRETRYMAX": "3", "PYHB_RSC_TIMEOUT": "45"})
    assert limits == {"stop_retries": 3, "timeouts": Timeouts(start=45.0, stop=45.0, status=20.0)}
    assert runner_limits({"PYHB_RSC_TIMEOUT": "2.5"})["timeouts"] == Timeouts(2.5, 2.5, 2.5)


@pytest.mark.parametrize(
    "env", [{"HA_STOPRETRYMAX": "ten"}, {"PYHB_RSC_TIMEOUT": "0"}, {"PYHB_RSC_TIMEOUT": "-1"},
            {"PYHB_RSC_TIMEOUT": "soon"}, {"PYHB_RSC_TIMEOUT": "nan"}],
)  # fmt: skip
def test_bad_values_are_ignored_and_logged(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    assert runner_limits(env) == {}
    assert "ignored" in caplog.text
