"""The command-line tools start fast: they never load the config parsers or asyncio."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("tool", ["hb_standby", "hb_takeover", "cl_status", "status"])
def test_tools_do_not_import_the_config_parsers(tool: str) -> None:
    code = (
        f"import sys, pyhb.cli.{tool};"
        "heavy = ('pyhb.config.load', 'pyhb.config.hacf', 'pyhb.daemon.app', 'asyncio');"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_config_package_still_offers_its_names() -> None:
    from pyhb import config  # noqa: PLC0415

    assert callable(config.load_config)
    assert issubclass(config.ConfigFileError, config.ConfigError)
    with pytest.raises(AttributeError):
        _ = config.no_such_name  # type: ignore[attr-defined]
