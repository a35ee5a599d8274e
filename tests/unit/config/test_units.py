"""Heartbeat value syntax: durations, booleans, facilities, ports, integers."""

from __future__ import annotations

import pytest

from pyhb.config.units import (
    parse_bool,
    parse_choice,
    parse_duration,
    parse_facility,
    parse_int,
    parse_port,
)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2", 2000),
        ("1.5", 1500),
        ("0.0005", 1),
        ("0.0004", 0),
        ("500ms", 500),
        ("500MS", 500),
        ("500msec", 500),
        ("500Ms", 500),
        ("10.5ms", 11),
        ("1500us", 2),
        ("1499usec", 1),
        ("2000US", 2),
        ("250 ms", 250),
        ("1.", 1000),
    ],
)
def test_duration_units_convert_to_rounded_milliseconds(text: str, ms: int) -> None:
    """Plain numbers are seconds, ms/us units (first two letters, any case) scale, and the
    result is rounded to the nearest millisecond."""
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["2s", "2sec", "1m", "5min", "", "ms", ".", "1.2.3", "-1", "1e3"])
def test_duration_rejects_other_units_and_garbage(text: str) -> None:
    """Any unit other than ms/us, and anything not a number, is refused with a hint."""
    with pytest.raises(ValueError, match="500ms"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["true", "On", "YES", "y", "1"])
def test_bool_true_words(text: str) -> None:
    """The true words of cl_str_to_boolean are accepted in any letter case."""
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["false", "OFF", "no", "N", "0"])
def test_bool_false_words(text: str) -> None:
    """The false words of cl_str_to_boolean are accepted in any letter case."""
    assert parse_bool(text) is False


def test_bool_rejects_other_words_naming_accepted_ones() -> None:
    """An unknown boolean word is refused and the message lists the accepted spellings."""
    with pytest.raises(ValueError, match=r"'enabled'.*on/off"):
        parse_bool("enabled")


def test_facility_accepts_names_and_none_lower_casing_them() -> None:
    """Syslog facility names and 'none' are accepted and normalised to lower case."""
    assert parse_facility("LOCAL7") == "local7"
    assert parse_facility("daemon") == "daemon"
    assert parse_facility("none") == "none"


def test_facility_rejects_unknown_name_listing_accepted() -> None:
    """An unknown facility is refused with the accepted names in the message."""
    with pytest.raises(ValueError, match="local0"):
        parse_facility("local8")


@pytest.mark.parametrize(("text", "port"), [("1", 1), ("694", 694), ("65535", 65535)])
def test_port_accepts_1_to_65535(text: str, port: int) -> None:
    """Ports are decimal numbers from 1 to 65535."""
    assert parse_port(text) == port


@pytest.mark.parametrize("text", ["0", "65536", "x", "-1", ""])
def test_port_rejects_out_of_range(text: str) -> None:
    """Port 0, ports above 65535 and non-numbers are refused naming the range."""
    with pytest.raises(ValueError, match="1 to 65535"):
        parse_port(text)


def test_int_range_message_names_bounds() -> None:
    """A bounded integer out of range names the bad value and the bounds."""
    assert parse_int("255", 0, 255) == 255
    with pytest.raises(ValueError, match=r"256 is out of range \(use a whole number from 0 to 255"):
        parse_int("256", 0, 255)


def test_choice_folds_case_only_when_asked() -> None:
    """Choices are case-sensitive unless folding is requested, returning the listed spelling."""
    assert parse_choice("ANY", ("none", "other", "any"), fold=True) == "any"
    with pytest.raises(ValueError, match="file or time"):
        parse_choice("FILE", ("file", "time"))
