"""The command-line tools start fast: they never load the config parsers or asyncio."""

from __future__ import annotations

import pytest

from tests.helpers.imports import loaded_by


@pytest.mark.parametrize("tool", ["hb_standby", "hb_takeover", "cl_status", "status"])
def test_tools_do_not_import_the_config_parsers(tool: str) -> None:
    heavy = ("pyhb.config.load", "pyhb.config.hacf", "pyhb.daemon.app", "asyncio")
    assert loaded_by(f"import pyhb.cli.{tool}", heavy) == []


@pytest.mark.parametrize("tool", ["hb_standby", "hb_takeover"])
def test_standby_tools_load_no_configuration_and_no_authentication(tool: str) -> None:
    """They only talk to the control socket: importing the wire codec through them must
    not bring the configuration model or the digests along (about 30 ms of start-up)."""
    heavy = ("pyhb.config", "pyhb.wire.auth", "cryptography")
    assert loaded_by(f"import pyhb.cli.{tool}", heavy) == []


def test_config_package_still_offers_its_names() -> None:
    from pyhb import config  # noqa: PLC0415

    assert callable(config.load_config)
    assert issubclass(config.ConfigFileError, config.ConfigError)
    with pytest.raises(AttributeError):
        _ = config.no_such_name  # type: ignore[attr-defined]
