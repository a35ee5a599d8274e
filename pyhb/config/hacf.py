"""Parsing ha.cf text into ``HaConfig``, collecting every problem as a ``ConfigIssue``.

Lexical rules follow heartbeat 3.0.6 (``config.c parse_config``; ``config.units`` splits
the words): ``#`` anywhere starts a comment, no line continuation, case-sensitive directive
names, option directives split on blanks and commas with the handler applied per token,
whole-line directives, and media
lines that take the ``udpport`` in force when they are read. After the last line the global
checks of ``init_config`` run (media, nodes, timing relations, local node, failback mode,
logging, autojoin). Durations are stored in milliseconds; ``params`` keeps each recorded
value exactly as written, plus the defaults heartbeat records.
Each line kind's own syntax is parsed where its values are defined (``config.media``,
``config.clients``: ping nodes, respawn, apiauth; ``config.fencing``: stonith, failfast).
Imports stdlib and ``pyhb.config`` modules only (no asyncio, socket, subprocess, time or
random).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pyhb.config.clients import (
    duplicate_name_errors,
    parse_apiauth,
    parse_ping,
    parse_ping_group,
    parse_respawn,
)
from pyhb.config.directives import (
    ALIASES,
    DIRECTIVES,
    MAX_NODES,
    Directive,
    Kind,
    default_deadping,
    default_initdead,
    default_of,
    default_warntime,
    fixed_defaults,
    unknown_message,
)
from pyhb.config.fencing import (
    Fencing,
    StonithDevice,
    failfast_error,
    parse_stonith,
    parse_stonith_host,
)
from pyhb.config.media import parse_bcast, parse_mcast, parse_ucast
from pyhb.config.model import (
    DEFAULT_UDPPORT,
    ApiAuth,
    AutoFailback,
    HaConfig,
    Mcast,
    Medium,
    PingNode,
    RespawnClient,
)
from pyhb.config.source import ConfigIssue, IssueList
from pyhb.config.units import TRUE_WORDS, WHITESPACE, split_directive, split_tokens, strip_comment

INITDEAD_ADVISED_MS = 10000

_T = TypeVar("_T")


class _HaCfParser(IssueList):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.params: dict[str, str] = {}
        self.values: dict[str, object] = {}
        self.where: dict[str, int] = {}
        self.nodes: list[str] = []
        self.env: list[tuple[str, str]] = []
        self.media: list[Medium] = []
        self.ping_nodes: list[PingNode] = []
        self.respawn: list[RespawnClient] = []
        self.udpport = DEFAULT_UDPPORT
        self.first_udp_medium: int = 0
        self.first_serial: int = 0
        self.auto_failback = default_of("auto_failback", AutoFailback)
        self.apiauth: dict[str, ApiAuth] = {}
        self.warned_ignored: set[str] = set()
        self.local_origin = ""
        self.bad_media_lines = 0
        self.stonith: list[StonithDevice] = []

    # -- lines ------------------------------------------------------------------------------

    def feed(self, text: str) -> None:
        for lineno, raw in enumerate(text.split("\n"), start=1):
            line = strip_comment(raw)
            if line:
                self.line(lineno, line)

    def line(self, lineno: int, line: str) -> None:
        name, rest = split_directive(line)
        if name in ALIASES:
            target, warn = ALIASES[name]
            if warn:
                self.warning(
                    lineno,
                    f"directive {name!r} is an old name of {target!r}; write '{target}' instead",
                )
            name = target
        directive = DIRECTIVES.get(name)
        if directive is None:
            self.error(lineno, unknown_message(name))
            return
        if directive.ignored and name not in self.warned_ignored:
            self.warned_ignored.add(name)
            self.warning(lineno, f"{name}: {directive.ignored}")
        if directive.refused:
            self.error(lineno, f"{name}: {directive.refused}")
        if directive.kind is Kind.OPTION:
            tokens = split_tokens(rest)
            if not tokens:
                self.warning(lineno, f"{name}: no value given; the line is ignored")
            for token in tokens:
                self.option(directive, token, lineno)
        elif directive.kind is Kind.WHOLE_LINE:
            self.whole_line(directive, rest.rstrip(WHITESPACE), lineno)
        else:
            self.medium(directive, rest, lineno)

    # -- option directives ------------------------------------------------------------------

    def option(self, d: Directive, token: str, lineno: int) -> None:
        name = d.name
        refused = d.repeat.refusal(name, self.where.get(name))
        if refused:
            self.error(lineno, refused)
            return
        try:
            value = d.convert(token)
        except ValueError as exc:
            self.error(lineno, f"{name}: {exc}")
            return
        if name == "node":
            self.add_node(str(value), lineno)
        elif name == "env":
            assert isinstance(value, tuple)
            self.env.append((str(value[0]), str(value[1])))
        elif name == "nice_failback":
            self.nice_failback(token, lineno)
        elif name == "auto_failback":
            assert isinstance(value, AutoFailback)
            self.auto_failback = value
        elif name == "udpport":
            if self.first_udp_medium:
                self.warning(
                    lineno,
                    f"udpport {token} does not apply to the bcast/ucast media "
                    f"defined before it (line {self.first_udp_medium}); move udpport "
                    "above the media lines",
                )
            assert isinstance(value, int)
            self.udpport = value
        elif name == "pacemaker" and value is True:
            self.error(
                lineno,
                f"pacemaker {token}: pyhb manages resources from haresources only "
                "and cannot run Pacemaker (use 'pacemaker off' or remove the line)",
            )
        elif name in {"crm_daemon_dir", "crmd_spawns_pengine"} and "pacemaker" in self.where:
            self.error(
                lineno,
                f"{name} must come before the pacemaker directive (line {self.where['pacemaker']})",
            )
        elif name == "baud" and self.first_serial:
            self.warning(
                lineno, f"baud must come before the serial media (line {self.first_serial})"
            )
        self.values[name] = value
        self.where[name] = lineno
        if d.record:
            self.params[name] = token

    def add_node(self, name: str, lineno: int) -> None:
        if name in self.nodes:
            return
        if len(self.nodes) >= MAX_NODES:
            self.error(lineno, f"node {name}: too many nodes (at most {MAX_NODES})")
            return
        self.nodes.append(name)

    def nice_failback(self, token: str, lineno: int) -> None:
        # heartbeat config.c set_nice_failback: the value itself is not used.
        if "auto_failback" in self.where and self.auto_failback is not AutoFailback.LEGACY:
            self.auto_failback = AutoFailback.OFF
            result = "auto_failback off"
        else:
            self.auto_failback = AutoFailback.LEGACY
            result = "auto_failback legacy"
        self.warning(
            lineno,
            f"nice_failback is obsolete: 'nice_failback {token}' is taken as "
            f"'{result}' as heartbeat does; write auto_failback on or off instead",
        )

    # -- whole-line directives --------------------------------------------------------------

    def whole_line(self, d: Directive, rest: str, lineno: int) -> None:
        words = rest.split()
        name = d.name
        if name == "respawn":
            client, errors = parse_respawn(rest, lineno)
            for message in errors:
                self.error(lineno, message)
            self.respawn += [client] if client else []
        elif name == "failfast":
            self.error(lineno, failfast_error(words, rest))
        elif name in {"stonith", "stonith_host"}:
            parse = parse_stonith if name == "stonith" else parse_stonith_host
            try:
                self.stonith.append(parse(words, lineno))
            except ValueError as exc:
                self.error(lineno, f"{name}: {exc}")
        elif name == "apiauth":
            self.api_auth(words, lineno)

    def api_auth(self, words: list[str], lineno: int) -> None:
        client, errors = parse_apiauth(words, lineno, self.apiauth)
        for message in errors:
            self.error(lineno, message)
        if client is not None:
            self.apiauth[client.client] = client

    # -- media ------------------------------------------------------------------------------

    def medium(self, d: Directive, rest: str, lineno: int) -> None:
        tokens = split_tokens(rest)
        name = d.name
        if not tokens:
            self.warning(lineno, f"{name}: no value given; the line is ignored")
            return
        if name == "bcast":
            bcasts, errors = parse_bcast(tokens, self.udpport, lineno)
            self.add_media(bcasts, errors, lineno)
        elif name == "ucast":
            ucast, errors = parse_ucast(tokens, self.udpport, lineno)
            self.add_media([ucast] if ucast else [], errors, lineno)
        elif name == "mcast":
            mcast, errors = parse_mcast(tokens, lineno)
            self.add_media([mcast] if mcast else [], errors, lineno)
        elif name == "ping":
            pings, errors = parse_ping(tokens, lineno)
            self.add_pings(pings, errors, lineno)
        elif name == "ping_group":
            group, errors = parse_ping_group(tokens, lineno)
            self.add_pings([group] if group else [], errors, lineno)
        elif name == "serial":
            self.first_serial = self.first_serial or lineno

    def add_media(self, media: Sequence[Medium], errors: list[str], lineno: int) -> None:
        for message in errors:
            self.error(lineno, message)
        self.bad_media_lines += bool(errors)
        self.media.extend(media)
        if any(not isinstance(m, Mcast) for m in media):
            self.first_udp_medium = self.first_udp_medium or lineno

    def add_pings(self, pings: Sequence[PingNode], errors: list[str], lineno: int) -> None:
        for message in errors:
            self.error(lineno, message)
        self.ping_nodes.extend(pings)

    # -- global checks ----------------------------------------------------------------------

    def get(self, name: str, kind: type[_T]) -> _T:
        """The value given, else the directive table's default."""
        value = self.given(name, kind)
        return default_of(name, kind) if value is None else value

    def given(self, name: str, kind: type[_T]) -> _T | None:
        """The value given, else None."""
        value = self.values.get(name)
        return value if isinstance(value, kind) else None

    def finish(self, local_node: str | None, origin: str) -> HaConfig:
        self.local_origin = f"; {origin}" if origin else ""
        for name, value in fixed_defaults().items():
            self.params.setdefault(name, value)
        keepalive = self.get("keepalive", int)
        deadtime = self.get("deadtime", int)
        autojoin = self.get("autojoin", str)
        pacemaker = self.get("pacemaker", bool)
        if not self.media and not self.bad_media_lines:
            self.error(0, "no heartbeat media defined (add a bcast, ucast or mcast line)")
        if not self.nodes and autojoin != "any":
            self.error(0, "no nodes defined (add a 'node NAME' line naming every cluster member)")
        elif local_node is not None and local_node not in self.nodes and autojoin != "any":
            self.error(
                self.where.get("node", 0),
                f"local node {local_node!r} is not listed in a node directive (nodes: "
                f"{', '.join(self.nodes)}){self.local_origin}",
            )
        if deadtime <= 2 * keepalive:
            self.error(
                self.where.get("deadtime") or self.where.get("keepalive", 0),
                f"deadtime {deadtime}ms is too small compared to keepalive "
                f"{keepalive}ms (deadtime must be more than twice keepalive)",
            )
        warntime = self.given("warntime", int)
        if not warntime:
            warntime = default_warntime(deadtime)
            self.params["warntime"] = f"{warntime}ms"
        elif warntime >= deadtime:
            self.warning(
                self.where["warntime"],
                f"warntime {warntime}ms is not less than "
                f"deadtime {deadtime}ms: late heartbeats will never be reported",
            )
        initdead = self.initdead(deadtime)
        for lineno, message in duplicate_name_errors(self.nodes, self.ping_nodes):
            self.error(lineno, message)
        deadping = self.deadping(deadtime, keepalive)
        self.params.setdefault("udpport", str(DEFAULT_UDPPORT))
        self.failback_and_logging(autojoin, pacemaker)
        return HaConfig(
            node=tuple(self.nodes),
            keepalive=keepalive,
            deadtime=deadtime,
            warntime=warntime,
            initdead=initdead,
            udpport=self.udpport,
            media=tuple(self.media),
            auto_failback=self.auto_failback,
            logfile=self.given("logfile", str),
            debugfile=self.given("debugfile", str),
            logfacility=self.given("logfacility", str),
            use_logd=self.params.get("use_logd", "no").lower() in TRUE_WORDS,
            debug=self.get("debug", int),
            msgfmt=self.get("msgfmt", str),
            hopfudge=self.get("hopfudge", int),
            max_rexmit_delay=self.get("max_rexmit_delay", int),
            log_badpack=self.get("log_badpack", bool),
            syslogmsgfmt=self.get("syslogmsgfmt", bool),
            hbgenmethod=self.get("hbgenmethod", str),
            uuidfrom=self.get("uuidfrom", str),
            pacemaker=pacemaker,
            env=tuple(self.env),
            deadping=deadping,
            ping_nodes=tuple(self.ping_nodes),
            respawn=tuple(self.respawn),
            fencing=Fencing(
                tuple(self.stonith),
                self.given("watchdog", str),
                self.where.get("watchdog", 0),
            ),
            params=self.params,
            apiauth=tuple(self.apiauth.values()),
        )

    def initdead(self, deadtime: int) -> int:
        given = self.given("initdead", int)
        if given is None:
            initdead = default_initdead(deadtime)
            self.params["initdead"] = f"{initdead}ms"
            return initdead
        initdead = given
        line = self.where["initdead"]
        if initdead < deadtime:
            self.error(
                line,
                f"initdead {initdead}ms is smaller than deadtime {deadtime}ms "
                "(initdead must be at least deadtime)",
            )
        elif initdead < INITDEAD_ADVISED_MS:
            self.warning(
                line,
                f"initdead {initdead}ms may be too small: it covers slow network "
                "start-up and should be at least deadtime and at least 10 seconds",
            )
        return initdead

    def deadping(self, deadtime: int, keepalive: int) -> int:
        deadping = self.given("deadping", int)
        if deadping is None:
            deadping = default_deadping(deadtime)
            self.params["deadping"] = f"{deadping}ms"
            return deadping
        if deadping <= 2 * keepalive:
            self.error(
                self.where["deadping"],
                f"deadping {deadping}ms is too small compared "
                f"to keepalive {keepalive}ms (it must be more than twice keepalive)",
            )
        return deadping

    def failback_and_logging(self, autojoin: str, pacemaker: bool) -> None:
        if self.auto_failback is AutoFailback.LEGACY and not pacemaker:
            if "auto_failback" in self.where:
                self.warning(
                    self.where["auto_failback"],
                    "auto_failback legacy is deprecated "
                    "(pyhb still runs it); set auto_failback on or off",
                )
            else:
                self.warning(
                    0,
                    "auto_failback is not set: using the deprecated 'legacy' mode "
                    "(pyhb still runs it); set auto_failback on or off",
                )
        if autojoin != "none" and not pacemaker:
            self.error(
                self.where["autojoin"],
                f"autojoin {autojoin} conflicts with haresources "
                "resource management (use autojoin none)",
            )
        facility = self.values.get("logfacility")
        has_log = "logfile" in self.values or "debugfile" in self.values
        has_log = has_log or facility not in {None, "none", "kern"}
        if not has_log:
            if self.values.get("use_logd") is False:
                self.error(
                    self.where["use_logd"],
                    "use_logd is off but no logfile, debugfile "
                    "or logfacility is set: messages would go nowhere (set one of them)",
                )
            elif "use_logd" not in self.values:
                self.params["use_logd"] = "yes"


def parse_hacf(
    text: str, path: str, local_node: str | None = None, local_origin: str = ""
) -> tuple[HaConfig, list[ConfigIssue]]:
    """Parse ha.cf ``text`` (read from ``path``, used in messages) into an ``HaConfig``.

    ``local_node`` (lower-case) is checked against the node list when given;
    ``local_origin`` says where that name came from, for the message. The returned
    config is best effort when issues contain errors.
    """
    parser = _HaCfParser(path)
    parser.feed(text)
    config = parser.finish(local_node, local_origin)
    return config, parser.issues
