"""The table of every ha.cf directive heartbeat 3.0.6 accepts, with value converters.

Each entry says how the directive is parsed (option: handler called per token; whole-line:
the rest of the line; media: a transport), the fixed default heartbeat records when the
directive is absent (as printed by ``heartbeat -D``), whether repeats accumulate, override
or are refused, and whether pyhb ignores it. The parser lives in ``config.hacf``.
This table is the one source of ha.cf defaults: ``default_of`` reads a directive's
recorded default with its own converter (``HaConfig``'s field defaults and the parser's
values for absent directives), the ``default_*`` functions derive warntime, initdead and
deadping from deadtime as heartbeat does, and ``recorded`` reads a raw value with the
table's default behind it. Imports stdlib and ``config.units`` only.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from pyhb.config.units import (
    TRUE_WORDS,
    AutoFailback,
    node_key,
    parse_bool,
    parse_choice,
    parse_duration,
    parse_facility,
    parse_int,
    parse_port,
)

_T = TypeVar("_T")

MAX_NODES = 100
MAX_NODE_NAME = 99
BAUD_RATES = ("9600", "19200", "38400", "57600", "115200", "230400", "460800")
PACEMAKER_ON_WORDS = frozenset(
    TRUE_WORDS | {"respawn", "minimal", "manual", "valgrind", "ccm-only"}
)


class Kind(enum.Enum):
    """How a directive's line is parsed."""

    OPTION = "option"  # rest of line split on blanks/commas, handler called per token
    WHOLE_LINE = "whole-line"  # handler receives the rest of the line verbatim
    MEDIA = "media"  # a heartbeat transport (HBcomm plugin)


class Repeat(enum.Enum):
    """What a second line of the same directive does."""

    LAST_WINS = "last wins"
    ACCUMULATES = "accumulates"
    ONCE = "once only"

    def refusal(self, name: str, first_line: int | None) -> str | None:
        """The error for a repeat of ``name`` first given on ``first_line`` (None: not
        given before), or None when the repeat is allowed."""
        if self is Repeat.ONCE and first_line is not None:
            return f"{name} may be given only once (first given on line {first_line})"
        return None


@dataclass(frozen=True, slots=True)
class Directive:
    """One row of the table."""

    name: str
    kind: Kind
    help: str
    convert: Callable[[str], object] = str
    default: str | None = None  # recorded when absent (heartbeat -D)
    record: bool = True  # raw value kept in HaConfig.params
    repeat: Repeat = Repeat.LAST_WINS
    ignored: str | None = None  # why pyhb does not act on it (warning), None = used
    refused: str | None = None  # why pyhb cannot run with it (error: the cluster loses it)


def positive_duration(text: str) -> int:
    """A time value that must be above zero."""
    value = parse_duration(text)
    if value <= 0:
        raise ValueError(f"{text!r} must be more than 0")
    return value


def node_name(text: str) -> str:
    """A node name, lower-cased as heartbeat does."""
    if len(text) > MAX_NODE_NAME:
        raise ValueError(f"node name {text[:20]!r}... is too long (at most {MAX_NODE_NAME})")
    return node_key(text)


def auto_failback(text: str) -> AutoFailback:
    """``on``/``off`` (any boolean) or ``legacy``."""
    if text.lower() == "legacy":
        return AutoFailback.LEGACY
    try:
        return AutoFailback.ON if parse_bool(text) else AutoFailback.OFF
    except ValueError:
        raise ValueError(f"invalid value {text!r} (use on, off or legacy)") from None


def pacemaker(text: str) -> bool:
    """``pacemaker``/``crm``: a boolean, whose true words include every value that turns
    Pacemaker on."""
    try:
        return parse_bool(text, PACEMAKER_ON_WORDS)
    except ValueError:
        raise ValueError(
            f"invalid value {text!r} (use off, or on/respawn/minimal/manual/valgrind/ccm-only)"
        ) from None


def env_setting(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` for the ``env`` directive."""
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"invalid setting {text!r} (use NAME=VALUE, NAME made of A-Z, 0-9, _)")
    return name, value


def _int(low: int, high: int | None = None) -> Callable[[str], int]:
    return lambda text: parse_int(text, low, high)


def _choice(*choices: str, fold: bool = False) -> Callable[[str], str]:
    return lambda text: parse_choice(text, choices, fold=fold)


_O = Kind.OPTION
_NOT_IMPLEMENTED = "pyhb does not implement it; the line is ignored"
_LOST_PATH = (
    "pyhb has no {what}, so the cluster would lose the heartbeat path this line gives it; "
    "carry the heartbeat on bcast, ucast or mcast instead (docs/hacf.md), or remove the "
    "line to run knowingly without it"
)

_TABLE: tuple[Directive, ...] = (
    # essential for a v1 cluster
    Directive("node", _O, "cluster member names", node_name, record=False,
              repeat=Repeat.ACCUMULATES),
    Directive("keepalive", _O, "interval between heartbeats", positive_duration, "1000ms"),
    Directive("deadtime", _O, "silence after which a node is dead", positive_duration,
              "30000ms"),
    Directive("warntime", _O, "late-heartbeat warning threshold", positive_duration),
    Directive("initdead", _O, "deadtime until communication first comes up", parse_duration),
    Directive("udpport", _O, "UDP port of later bcast/ucast media", parse_port),
    Directive("auto_failback", _O, "give resources back to their preferred node",
              auto_failback, "legacy"),
    Directive("logfile", _O, "file for non-debug messages"),
    Directive("debugfile", _O, "file for all messages"),
    Directive("logfacility", _O, "syslog facility, or none", parse_facility),
    Directive("use_logd", _O, "log through ha_logd", parse_bool),
    # supported, occasionally used
    Directive("cluster", _O, "the name of the cluster", default="linux-ha"),
    Directive("hopfudge", _O, "hops above cluster size (ttl of messages)", _int(0, 255), "1"),
    Directive("deadping", _O, "deadtime of ping nodes", positive_duration),
    Directive("baud", _O, "serial speed", _choice(*BAUD_RATES), "19200", repeat=Repeat.ONCE),
    Directive("watchdog", _O, "watchdog device", repeat=Repeat.ONCE),
    Directive("realtime", _O, "real-time scheduling", parse_bool, "true"),
    Directive("rtprio", _O, "real-time priority", _int(1, 99)),
    Directive("debug", _O, "debug level", _int(0, 255), "0"),
    Directive("hbgenmethod", _O, "generation number source", _choice("file", "time"), "file"),
    Directive("uuidfrom", _O, "node uuid source", _choice("file", "nodename"), "file"),
    Directive("autojoin", _O, "accept unknown nodes", _choice("none", "other", "any", fold=True),
              "none"),
    Directive("msgfmt", _O, "message format on the wire", _choice("classic", "netstring"),
              "classic"),
    Directive("compression", _O, "compression module", _choice("zlib", "bz2"), "zlib"),
    Directive("compression_threshold", _O, "compression threshold (KiB)", _int(1), "2"),
    Directive("traditional_compression", _O, "compress whole messages", parse_bool, "no"),
    Directive("max_rexmit_delay", _O, "maximum retransmit request delay (ms)", _int(1), "250"),
    Directive("conn_logd_time", _O, "interval to reconnect to logd", parse_duration, "60"),
    Directive("coredumps", _O, "enable core dumps", parse_bool, "true"),
    Directive("coreroot", _O, "root directory of core dumps"),
    Directive("log_badpack", _O, "log bad packets", parse_bool, "true"),
    Directive("syslogmsgfmt", _O, "syslog-style lines in log files", parse_bool, "true"),
    Directive("use_apphbd", _O, "register with apphbd", parse_bool, record=False),
    Directive("env", _O, "HA_NAME=VALUE for child processes", env_setting, record=False,
              repeat=Repeat.ACCUMULATES),
    Directive("memreserve", _O, "KiB to preallocate", _int(0), "6500"),
    Directive("quorum_server", _O, "quorum server host"),
    # legacy
    Directive("nice_failback", _O, "obsolete: use auto_failback", parse_bool, record=False),
    # Pacemaker only (parsed; pyhb manages haresources only)
    Directive("pacemaker", _O, "Pacemaker resource management", pacemaker, "false",
              repeat=Repeat.ONCE),
    Directive("crm_daemon_dir", _O, "Pacemaker daemon directory"),
    Directive("crmd_spawns_pengine", _O, "crmd starts the policy engine", parse_bool),
    Directive("record_config_changes", _O, "record CIB changes (Pacemaker)", parse_bool, "on"),
    Directive("record_pengine_inputs", _O, "record policy engine inputs (Pacemaker)",
              parse_bool, "on"),
    Directive("enable_config_writes", _O, "write configuration changes (Pacemaker)",
              parse_bool, "on"),
    # whole-line directives
    Directive("stonith", Kind.WHOLE_LINE, "legacy STONITH device", record=False,
              repeat=Repeat.ACCUMULATES),
    Directive("stonith_host", Kind.WHOLE_LINE, "legacy STONITH device per host", record=False,
              repeat=Repeat.ACCUMULATES),
    Directive("apiauth", Kind.WHOLE_LINE, "API client authorisation", record=False,
              repeat=Repeat.ACCUMULATES),
    Directive("respawn", Kind.WHOLE_LINE, "child process restarted when it exits",
              record=False, repeat=Repeat.ACCUMULATES),
    # Not run by pyhb, and an error rather than a warning: ignoring it would drop the
    # reboot it asks for (config.hacf; docs/operations.md, Fencing).
    Directive("failfast", Kind.WHOLE_LINE, "child process whose death reboots the node",
              record=False, repeat=Repeat.ACCUMULATES),
    # media
    Directive("bcast", Kind.MEDIA, "UDP broadcast on interfaces", record=False,
              repeat=Repeat.ACCUMULATES),
    Directive("ucast", Kind.MEDIA, "UDP unicast to a peer", record=False,
              repeat=Repeat.ACCUMULATES),
    Directive("mcast", Kind.MEDIA, "UDP multicast", record=False, repeat=Repeat.ACCUMULATES),
    Directive("ucast6", Kind.MEDIA, "IPv6 unicast", record=False, repeat=Repeat.ACCUMULATES,
              refused=_LOST_PATH.format(what="IPv6 media")),
    Directive("mcast6", Kind.MEDIA, "IPv6 multicast", record=False, repeat=Repeat.ACCUMULATES,
              refused=_LOST_PATH.format(what="IPv6 media")),
    Directive("serial", Kind.MEDIA, "serial ring", record=False, repeat=Repeat.ACCUMULATES,
              refused=_LOST_PATH.format(what="serial media")),
    Directive("ping", Kind.MEDIA, "ping nodes", record=False, repeat=Repeat.ACCUMULATES),
    Directive("ping6", Kind.MEDIA, "IPv6 ping nodes", record=False, repeat=Repeat.ACCUMULATES,
              refused="pyhb has no IPv6 ping nodes, so ipfail would not see this one; use "
              "ping with an IPv4 address, or remove the line to run knowingly without it"),
    Directive("ping_group", Kind.MEDIA, "ping node group", record=False,
              repeat=Repeat.ACCUMULATES),
)  # fmt: skip

DIRECTIVES: Final[dict[str, Directive]] = {d.name: d for d in _TABLE}

#: Named in heartbeat's manual, but refused by the packaged 3.0.6 as illegal directives.
NOT_AVAILABLE = frozenset({"hbaping", "tipc", "rds", "normalpoll"})

#: Spellings rewritten before lookup: name -> (directive, warn?)
ALIASES: Final[dict[str, tuple[str, bool]]] = {"udp": ("bcast", True), "crm": ("pacemaker", False)}


def unknown_message(name: str) -> str:
    """The error for a directive name that is not in the table, with a hint."""
    known = sorted(set(DIRECTIVES) | set(ALIASES))
    if name in NOT_AVAILABLE:
        hint = " (the heartbeat 3.0.6 packages do not provide it either)"
    elif name.lower() in DIRECTIVES:
        hint = f" (did you mean {name.lower()!r}? directive names are case-sensitive)"
    else:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown directive {name!r}{hint}"


def fixed_defaults() -> dict[str, str]:
    """The defaults heartbeat records for absent directives, in table order."""
    return {d.name: d.default for d in _TABLE if d.default is not None}


def default_of(name: str, kind: type[_T]) -> _T:
    """The value of absent directive ``name``: its recorded default, converted."""
    directive = DIRECTIVES[name]
    value = directive.convert(directive.default) if directive.default is not None else None
    if not isinstance(value, kind):
        raise TypeError(f"{name} has no default of type {kind.__name__}")
    return value


def recorded(params: Mapping[str, str], name: str) -> str:
    """The raw value of recorded directive ``name`` in ``params`` (``HaConfig.params``),
    else the default heartbeat records for it ("" when it has none)."""
    return params.get(name, DIRECTIVES[name].default or "")


def default_warntime(deadtime: int) -> int:
    """warntime when absent: half of deadtime."""
    return deadtime // 2


def default_initdead(deadtime: int) -> int:
    """initdead when absent (heartbeat's ``init_config``): deadtime when above 10 s,
    12 s when deadtime is under 6 s, else twice deadtime."""
    if deadtime > 10000:
        return deadtime
    if deadtime < 6000:
        return 12000
    return 2 * deadtime


def default_deadping(deadtime: int) -> int:
    """deadping when absent: deadtime."""
    return deadtime
