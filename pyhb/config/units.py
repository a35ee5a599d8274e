"""Heartbeat value syntax: durations, booleans, syslog facilities, ports, bounded integers,
node names (``node_key``), the failback modes (``AutoFailback``), and how an ha.cf line
splits into words (``strip_comment``, ``split_directive``, ``split_tokens``).

Every parser takes the raw token and returns the typed value, or raises ``ValueError``
whose message names the bad value and what is accepted; callers prefix the directive name.
Imports stdlib only (no asyncio, socket, subprocess, time or random).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeVar


def node_key(name: str) -> str:
    """A node name as pyhb keeps, compares, sends and prints it: lower-cased, as
    heartbeat does with every name it reads (ha.cf ``node``, the first word of a
    haresources line, ``uname -n`` or nodeinfo, the ``src``/``dest`` of a message, the
    node operand of ``cl_status``). ``DB1``, ``db1`` and ``Db1`` are one node."""
    return name.lower()


class AutoFailback(enum.StrEnum):
    ON = "on"
    OFF = "off"
    LEGACY = "legacy"


WHITESPACE = " \t\n\r\f"
DELIMS = ", \t\n\r\f"
_DELIM_RE = re.compile(r"[, \t\n\r\f]+")


def split_tokens(text: str) -> list[str]:
    """Split an option value on heartbeat's delimiters (space, tab, comma, CR, LF, FF)."""
    return [t for t in _DELIM_RE.split(text) if t]


def strip_comment(line: str) -> str:
    """Drop leading blanks, everything from ``#``, and everything after a CR or LF."""
    line = line.lstrip(WHITESPACE)
    line = line.split("#", 1)[0]
    return re.split(r"[\r\n]", line, maxsplit=1)[0]


def each_valid(
    tokens: Sequence[str], problem: Callable[[str], str | None], make: Callable[[str], _T]
) -> tuple[list[_T], list[str]]:
    """``make(token)`` for each token in which ``problem`` finds nothing wrong, and the
    problems of the others: a line naming several items (interfaces, addresses)."""
    made: list[_T] = []
    errors: list[str] = []
    for token in tokens:
        wrong = problem(token)
        if wrong:
            errors.append(wrong)
        else:
            made.append(make(token))
    return made, errors


def split_directive(line: str) -> tuple[str, str]:
    """A comment-free ha.cf line as (directive name, the rest after its delimiters)."""
    name = re.split(r"[ \t\n\r\f]", line, maxsplit=1)[0]
    return name, line[len(name) :].lstrip(DELIMS)


_T = TypeVar("_T")

_DURATION_RE = re.compile(r"([0-9.]+)[ \t]*([A-Za-z]*)")

DURATION_HINT = "use seconds like 2 or 1.5, or milliseconds like 500ms"

TRUE_WORDS = frozenset({"true", "on", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "off", "no", "n", "0"})
BOOLEAN_HINT = "use on/off, yes/no, true/false, y/n or 1/0"

#: Facility names understood by syslog(3) (glue's ``cl_syslogfac_str2int``), plus ``none``.
SYSLOG_FACILITIES = (
    "auth",
    "authpriv",
    "cron",
    "daemon",
    "ftp",
    "kern",
    "lpr",
    "mail",
    "news",
    "syslog",
    "user",
    "uucp",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
)
FACILITY_NONE = "none"


def parse_duration(text: str) -> int:
    """A heartbeat time value in whole milliseconds (glue's ``cl_get_msec``).

    A plain number is seconds (fractions allowed); ``ms``/``msec`` is milliseconds and
    ``us``/``usec`` microseconds, only the first two letters of the unit being compared,
    case-insensitively. The result is rounded to the nearest millisecond.
    """
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"invalid time value {text!r} ({DURATION_HINT})")
    number, unit = match.groups()
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"invalid time value {text!r} ({DURATION_HINT})") from None
    prefix = unit[:2].lower()
    if not unit:
        scaled = value * 1000
    elif prefix == "ms":
        scaled = value
    elif prefix == "us":
        scaled = value / 1000
    else:
        raise ValueError(f"invalid time value {text!r} ({DURATION_HINT})")
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_bool(text: str, true_words: frozenset[str] = TRUE_WORDS) -> bool:
    """A heartbeat boolean (glue's ``cl_str_to_boolean``), case-insensitive; a directive
    with more ways to say yes gives its own ``true_words``."""
    word = text.lower()
    if word in true_words:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"invalid boolean {text!r} ({BOOLEAN_HINT})")


def parse_facility(text: str) -> str:
    """A syslog facility name or ``none``, returned lower-cased."""
    word = text.lower()
    if word == FACILITY_NONE or word in SYSLOG_FACILITIES:
        return word
    names = ", ".join(SYSLOG_FACILITIES)
    raise ValueError(f"unknown syslog facility {text!r} (use none or one of {names})")


def parse_int(text: str, low: int, high: int | None = None) -> int:
    """A decimal integer within ``low..high`` (``high`` None = no upper bound)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(f"invalid number {text!r} ({_range_text(low, high)})")
    value = int(text)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{text} is out of range ({_range_text(low, high)})")
    return value


def parse_port(text: str) -> int:
    """A UDP port number, 1 to 65535."""
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError(f"invalid port {text!r} (use a number from 1 to 65535)")
    value = int(text)
    if not 1 <= value <= 65535:
        raise ValueError(f"port {text} is out of range (use a number from 1 to 65535)")
    return value


def parse_choice(text: str, choices: tuple[str, ...], *, fold: bool = False) -> str:
    """One word out of ``choices``; ``fold`` compares case-insensitively and returns the
    canonical (listed) spelling."""
    for choice in choices:
        if text == choice or (fold and text.lower() == choice.lower()):
            return choice
    raise ValueError(f"invalid value {text!r} (use {_or_list(choices)})")


def _range_text(low: int, high: int | None) -> str:
    if high is None:
        return f"use a whole number of at least {low}"
    return f"use a whole number from {low} to {high}"


def _or_list(words: tuple[str, ...]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
