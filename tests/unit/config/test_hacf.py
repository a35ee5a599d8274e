"""ha.cf: lexical rules, every directive family, media, defaults and global checks."""

from __future__ import annotations

import pytest

from pyhb.config.directives import DIRECTIVES, Kind
from pyhb.config.hacf import parse_hacf
from pyhb.config.model import ApiAuth, AutoFailback, Bcast, HaConfig, Mcast, Ucast
from pyhb.config.source import ConfigIssue, Severity

BASE = "bcast eth1\nnode alpha beta\nauto_failback on\nlogfile /var/log/ha-log\n"


def parse(text: str, local: str | None = "alpha") -> tuple[HaConfig, list[ConfigIssue]]:
    return parse_hacf(text, "ha.cf", local)


def rendered(issues: list[ConfigIssue]) -> list[str]:
    return [str(i) for i in issues]


def errors(issues: list[ConfigIssue]) -> list[str]:
    return [str(i) for i in issues if i.severity is Severity.ERROR]


def test_minimal_config_has_no_issues_and_heartbeat_defaults() -> None:
    """A config with media, nodes, auto_failback and a logfile is clean and gets 3.0.6's
    timing defaults in milliseconds."""
    cfg, issues = parse(BASE)
    assert issues == []
    assert (cfg.keepalive, cfg.deadtime, cfg.warntime, cfg.initdead) == (1000, 30000, 15000, 30000)
    assert cfg.udpport == 694
    assert cfg.media == (Bcast("eth1", 694, 1),)


def test_recorded_defaults_match_heartbeat_dash_D_table() -> None:
    """Absent directives are recorded with the fixed defaults `heartbeat -D` prints, plus the
    derived warntime/initdead/deadping/udpport values."""
    cfg, _ = parse(BASE)
    expected = {
        "cluster": "linux-ha", "hopfudge": "1", "keepalive": "1000ms", "deadtime": "30000ms",
        "baud": "19200", "hbgenmethod": "file", "realtime": "true", "msgfmt": "classic",
        "conn_logd_time": "60", "log_badpack": "true", "syslogmsgfmt": "true",
        "coredumps": "true", "pacemaker": "false", "autojoin": "none", "uuidfrom": "file",
        "compression": "zlib", "compression_threshold": "2", "traditional_compression": "no",
        "max_rexmit_delay": "250", "record_config_changes": "on", "record_pengine_inputs": "on",
        "enable_config_writes": "on", "memreserve": "6500", "debug": "0",
        "warntime": "15000ms", "initdead": "30000ms", "deadping": "30000ms", "udpport": "694",
        "auto_failback": "on", "logfile": "/var/log/ha-log",
    }  # fmt: skip
    assert cfg.params == expected


def test_params_keep_values_exactly_as_written() -> None:
    """Recorded values are the raw tokens (`10.5` stays `10.5`, `200ms` stays `200ms`)."""
    cfg, _ = parse(BASE + "keepalive 200ms\ndeadtime 10.5\nwarntime 3\ninitdead 12\n")
    assert cfg.params["keepalive"] == "200ms"
    assert cfg.params["deadtime"] == "10.5"
    assert cfg.params["warntime"] == "3"
    assert (cfg.keepalive, cfg.deadtime, cfg.warntime, cfg.initdead) == (200, 10500, 3000, 12000)


def test_warntime_default_is_half_deadtime_recorded_in_ms() -> None:
    """Without warntime, it is deadtime/2 and recorded like `2500ms`."""
    cfg, _ = parse(BASE + "deadtime 5\ninitdead 10\n")
    assert cfg.warntime == 2500
    assert cfg.params["warntime"] == "2500ms"


@pytest.mark.parametrize(
    ("deadtime", "initdead"),
    [("5", 12000), ("6", 12000), ("8", 16000), ("10", 20000), ("11", 11000)],
)
def test_initdead_default_rule(deadtime: str, initdead: int) -> None:
    """Default initdead: deadtime above 10 s, 12 s below 6 s, otherwise twice deadtime."""
    cfg, issues = parse(BASE + f"deadtime {deadtime}\n")
    assert cfg.initdead == initdead
    assert cfg.params["initdead"] == f"{initdead}ms"
    assert errors(issues) == []


def test_hash_starts_comment_anywhere_and_blank_lines_are_ignored() -> None:
    """`#` anywhere ends the line's content; blank and comment-only lines are skipped."""
    cfg, issues = parse("  # comment\n\n" + BASE + "keepalive 2#3\ndeadtime 9 # x\n")
    assert cfg.keepalive == 2000
    assert cfg.deadtime == 9000
    assert errors(issues) == []


def test_backslash_is_not_a_continuation() -> None:
    """A trailing backslash has no special meaning: the next line is its own directive."""
    _, issues = parse(BASE + "logfile /tmp/x \\\nbogus\n")
    assert errors(issues) == ["ha.cf:6: error: unknown directive 'bogus'"]


def test_option_values_split_on_commas_and_blanks_per_token() -> None:
    """`node a, b c` declares three nodes; names are lower-cased and duplicates dropped."""
    cfg, issues = parse("bcast eth1\nnode Alpha, b\tC,,alpha\nnode b\nauto_failback on\n")
    assert cfg.node == ("alpha", "b", "c")
    assert errors(issues) == []


def test_repeated_option_token_last_wins() -> None:
    """`keepalive 2 3` sets keepalive twice, the last value wins."""
    cfg, _ = parse(BASE + "keepalive 2 3\ndeadtime 10\n")
    assert cfg.keepalive == 3000
    assert cfg.params["keepalive"] == "3"


def test_directive_without_value_is_ignored_with_warning() -> None:
    """A bare `keepalive` line changes nothing and says so."""
    cfg, issues = parse(BASE + "keepalive\n")
    assert cfg.keepalive == 1000
    assert rendered(issues) == ["ha.cf:5: warning: keepalive: no value given; the line is ignored"]


def test_directive_names_are_case_sensitive_with_suggestion() -> None:
    """`KeepAlive` is unknown, and the message points at `keepalive`."""
    _, issues = parse(BASE + "KeepAlive 2\n")
    assert errors(issues) == [
        "ha.cf:5: error: unknown directive 'KeepAlive' "
        "(did you mean 'keepalive'? directive names are case-sensitive)"
    ]


def test_misspelt_directive_suggests_close_name() -> None:
    """A misspelt directive is reported as unknown with the closest known name."""
    _, issues = parse(BASE + "deadtme 10\n")
    assert errors(issues) == [
        "ha.cf:5: error: unknown directive 'deadtme' (did you mean 'deadtime'?)"
    ]


@pytest.mark.parametrize("name", ["hbaping", "tipc", "rds", "normalpoll"])
def test_directives_missing_from_packaged_heartbeat_are_unknown(name: str) -> None:
    """hbaping, tipc, rds and normalpoll are illegal in the packaged 3.0.6, so here too."""
    _, issues = parse(BASE + f"{name} x\n")
    assert len(errors(issues)) == 1
    assert f"unknown directive {name!r}" in errors(issues)[0]


def test_all_problems_are_collected() -> None:
    """Parsing continues after an error, so every bad line is reported."""
    _, issues = parse(BASE + "keepalive 2s\nbogus 1\nhopfudge 300\n")
    assert [i.line for i in issues if i.severity is Severity.ERROR] == [5, 6, 7]


def test_udp_is_bcast_alias_with_warning() -> None:
    """`udp eth0` creates a bcast medium and warns about the old name."""
    cfg, issues = parse("udp eth0\nnode alpha\nauto_failback on\nlogfile /x\n")
    assert cfg.media == (Bcast("eth0", 694, 1),)
    assert rendered(issues) == [
        "ha.cf:1: warning: directive 'udp' is an old name of 'bcast'; write 'bcast' instead"
    ]


def test_bcast_creates_one_medium_per_interface() -> None:
    """`bcast eth0 eth1` defines two media."""
    cfg, _ = parse("bcast eth0 eth1\nnode alpha\n")
    assert [m.iface for m in cfg.media] == ["eth0", "eth1"]


def test_udpport_applies_to_later_bcast_and_ucast_only() -> None:
    """Media take the udpport in force when read; a later udpport warns, mcast keeps its own
    port."""
    text = (
        "bcast eth0\nudpport 700\nbcast eth1\nucast eth2 10.0.0.2\n"
        "mcast eth3 239.1.2.3 800 1 0\nnode alpha\nauto_failback on\nlogfile /x\n"
    )
    cfg, issues = parse(text)
    assert cfg.media == (
        Bcast("eth0", 694, 1),
        Bcast("eth1", 700, 3),
        Ucast("eth2", "10.0.0.2", 700, 4),
        Mcast("eth3", "239.1.2.3", 800, 1, False, 5),
    )
    assert cfg.udpport == 700
    assert rendered(issues) == [
        "ha.cf:2: warning: udpport 700 does not apply to the bcast/ucast media defined "
        "before it (line 1); move udpport above the media lines"
    ]


def test_ucast_takes_iface_and_peer_ignoring_extra_tokens() -> None:
    """`ucast IFACE PEER extra` ignores the extra token; host names are accepted."""
    cfg, issues = parse("ucast eth0 peer-b.example.com junk\nnode alpha\nauto_failback on\n")
    assert cfg.media == (Ucast("eth0", "peer-b.example.com", 694, 1),)
    assert errors(issues) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ucast eth0", "ucast: expected 'ucast IFACE PEER' (got 'ucast eth0')"),
        ("ucast eth0 10.0.0.300", "ucast: invalid IPv4 address '10.0.0.300'"),
        ("ucast a/b 10.0.0.1", "ucast: invalid interface name 'a/b'"),
        ("mcast eth0 239.0.0.1 694 1", "mcast: expected 'mcast IFACE GROUP PORT TTL LOOP'"),
        ("mcast eth0 10.1.1.1 694 1 0", "mcast: group '10.1.1.1' is not an IPv4 multicast"),
        ("mcast eth0 239.0.0.1 0 1 0", "mcast: port 0 is out of range"),
        ("mcast eth0 239.0.0.1 694 5 0", "mcast: ttl 5 is out of range (heartbeat accepts 0 to 4"),
        ("mcast eth0 239.0.0.1 694 x 0", "mcast: ttl 'x' is invalid"),
        ("mcast eth0 239.0.0.1 694 1 2", "mcast: loop '2' is invalid (use 0 or 1)"),
    ],
)
def test_bad_media_lines_are_errors_naming_the_value(line: str, message: str) -> None:
    """Malformed ucast/mcast lines are errors naming the bad field and what is accepted, and
    do not also cause a 'no media' error."""
    _, issues = parse(f"{line}\nnode alpha\nauto_failback on\nlogfile /x\n")
    assert len(issues) == 1
    assert str(issues[0]).startswith(f"ha.cf:1: error: {message}")


def test_mcast_accepts_full_range_of_valid_fields() -> None:
    """mcast with group in 224.0.0.0/4, ttl 0..4 and loop 1 builds a medium."""
    cfg, issues = parse("mcast eth0 224.0.0.9 9999 4 1\nnode alpha\nauto_failback on\n")
    assert cfg.media == (Mcast("eth0", "224.0.0.9", 9999, 4, True, 1),)
    assert errors(issues) == []


@pytest.mark.parametrize(
    ("name", "what"),
    [("ucast6", "IPv6 media"), ("mcast6", "IPv6 media"), ("serial", "serial media"),
     ("ping6", "IPv6 ping nodes")],
)  # fmt: skip
def test_media_pyhb_cannot_carry_are_refused_naming_the_line(name: str, what: str) -> None:
    """A heartbeat path (or ping node) pyhb cannot carry is an error at its line: running
    without it would silently take away what protects the cluster."""
    cfg, issues = parse(f"bcast eth0\nnode alpha\n{name} x y z a b\nauto_failback on\n")
    assert cfg.media == (Bcast("eth0", 694, 1),)
    (only,) = errors(issues)
    assert only.startswith(f"ha.cf:3: error: {name}: pyhb has no {what}")
    assert "remove the line to run knowingly without it" in only


def test_respawn_needs_an_absolute_path() -> None:
    """respawn with a relative program path is an error."""
    _, issues = parse(BASE + "respawn hacluster ipfail\n")
    assert "respawn: expected 'respawn USER /absolute/path" in errors(issues)[0]


def test_apiauth_needs_a_list_and_refuses_duplicates() -> None:
    """apiauth requires uid= or gid= and a client may be authorised only once."""
    _, issues = parse(BASE + "apiauth ipfail uid=hacluster\napiauth ipfail gid=haclient\n"
                      "apiauth ping\n")  # fmt: skip
    assert errors(issues) == [
        "ha.cf:6: error: apiauth: client 'ipfail' already authorised on line 5",
        "ha.cf:7: error: apiauth: expected 'apiauth CLIENT uid=U1,U2 gid=G1,G2' with at least "
        "one list (got 'ping')",
    ]


OPTION_SAMPLES = {
    "node": "gamma", "keepalive": "2", "deadtime": "30", "warntime": "10", "initdead": "60",
    "udpport": "694", "auto_failback": "off", "logfile": "/var/log/x", "debugfile": "/var/log/y",
    "logfacility": "daemon", "use_logd": "no", "cluster": "c1", "hopfudge": "2",
    "deadping": "40", "baud": "38400", "watchdog": "/dev/watchdog", "realtime": "off",
    "rtprio": "50", "debug": "1", "hbgenmethod": "time", "uuidfrom": "nodename",
    "autojoin": "none", "msgfmt": "netstring", "compression": "bz2",
    "compression_threshold": "4", "traditional_compression": "yes", "max_rexmit_delay": "100",
    "conn_logd_time": "30", "coredumps": "no", "coreroot": "/var/cores", "log_badpack": "off",
    "syslogmsgfmt": "false", "use_apphbd": "no", "env": "FOO=bar", "memreserve": "1000",
    "quorum_server": "q.example.com", "nice_failback": "on", "pacemaker": "off",
    "crm_daemon_dir": "/usr/lib/pacemaker", "crmd_spawns_pengine": "yes",
    "record_config_changes": "off", "record_pengine_inputs": "off", "enable_config_writes": "off",
}  # fmt: skip


def test_every_option_directive_has_a_sample_here() -> None:
    """The sample table above covers every option directive of the directive table."""
    options = {n for n, d in DIRECTIVES.items() if d.kind is Kind.OPTION}
    assert options == set(OPTION_SAMPLES)


@pytest.mark.parametrize(("name", "value"), sorted(OPTION_SAMPLES.items()))
def test_every_option_directive_accepts_a_valid_value(name: str, value: str) -> None:
    """Each option directive parses a valid value without errors and records it if heartbeat
    records it."""
    cfg, issues = parse(BASE + f"{name} {value}\n")
    assert errors(issues) == []
    if DIRECTIVES[name].record:
        assert cfg.params[name] == value
    else:
        assert name not in cfg.params


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("keepalive 2s", "keepalive: invalid time value '2s' (use seconds like 2 or 1.5, "
         "or milliseconds like 500ms)"),
        ("keepalive 0", "keepalive: '0' must be more than 0"),
        ("hopfudge 256", "hopfudge: 256 is out of range (use a whole number from 0 to 255)"),
        ("debug x", "debug: invalid number 'x' (use a whole number from 0 to 255)"),
        ("udpport 70000", "udpport: port 70000 is out of range (use a number from 1 to 65535)"),
        ("auto_failback maybe", "auto_failback: invalid value 'maybe' (use on, off or legacy)"),
        ("logfacility local9", "logfacility: unknown syslog facility 'local9'"),
        ("baud 12345", "baud: invalid value '12345' (use 9600, 19200"),
        ("msgfmt xml", "msgfmt: invalid value 'xml' (use classic or netstring)"),
        ("hbgenmethod random", "hbgenmethod: invalid value 'random' (use file or time)"),
        ("compression gzip", "compression: invalid value 'gzip' (use zlib or bz2)"),
        ("env 1X=2", "env: invalid setting '1X=2'"),
        ("realtime sometimes", "realtime: invalid boolean 'sometimes'"),
        ("rtprio 100", "rtprio: 100 is out of range (use a whole number from 1 to 99)"),
    ],
)  # fmt: skip
def test_bad_option_values_name_value_and_accepted_range(line: str, message: str) -> None:
    """A bad option value is an error on its line naming the value and what is accepted."""
    _, issues = parse(BASE + line + "\n")
    assert len(errors(issues)) == 1
    assert errors(issues)[0].startswith(f"ha.cf:5: error: {message}")


def test_once_only_directives_refuse_a_second_value() -> None:
    """baud, watchdog and pacemaker may be given only once."""
    _, issues = parse(BASE + "baud 9600\nbaud 19200\n")
    assert errors(issues) == ["ha.cf:6: error: baud may be given only once (first given on line 5)"]


def test_env_accumulates_settings() -> None:
    """env lines add HA_ variables in order, several per line allowed."""
    cfg, _ = parse(BASE + "env A=1 B=x=y\nenv C=\n")
    assert cfg.env == (("A", "1"), ("B", "x=y"), ("C", ""))


def test_typed_fields_follow_directives() -> None:
    """Parsed values land in the typed HaConfig fields."""
    cfg, _ = parse(BASE + "debug 2\nmsgfmt netstring\nhopfudge 3\nmax_rexmit_delay 99\n"
                   "log_badpack no\nsyslogmsgfmt off\nhbgenmethod time\nuuidfrom nodename\n"
                   "logfacility LOCAL3\ndebugfile /d\n")  # fmt: skip
    assert (cfg.debug, cfg.msgfmt, cfg.hopfudge, cfg.max_rexmit_delay) == (2, "netstring", 3, 99)
    assert (cfg.log_badpack, cfg.syslogmsgfmt) == (False, False)
    assert (cfg.hbgenmethod, cfg.uuidfrom) == ("time", "nodename")
    assert (cfg.logfile, cfg.debugfile, cfg.logfacility) == ("/var/log/ha-log", "/d", "local3")


def test_nice_failback_without_auto_failback_means_legacy() -> None:
    """`nice_failback on` with no earlier auto_failback is strictly 'auto_failback legacy'."""
    cfg, issues = parse("bcast eth0\nnode alpha\nlogfile /x\nnice_failback on\n")
    assert cfg.auto_failback is AutoFailback.LEGACY
    assert "nice_failback is obsolete: 'nice_failback on' is taken as 'auto_failback legacy'" in (
        str(issues[0])
    )


def test_nice_failback_after_auto_failback_on_means_off_keeping_recorded_text() -> None:
    """After `auto_failback on`, nice_failback turns it off while the recorded text stays."""
    cfg, _ = parse("bcast eth0\nnode alpha\nlogfile /x\nauto_failback on\nnice_failback off\n")
    assert cfg.auto_failback is AutoFailback.OFF
    assert cfg.params["auto_failback"] == "on"


def test_missing_auto_failback_is_legacy_with_deprecation_warning() -> None:
    """Without auto_failback the mode is legacy and a warning says it is deprecated."""
    cfg, issues = parse("bcast eth0\nnode alpha\nlogfile /x\n")
    assert cfg.auto_failback is AutoFailback.LEGACY
    assert rendered(issues) == [
        "ha.cf: warning: auto_failback is not set: using the deprecated 'legacy' mode "
        "(pyhb still runs it); set auto_failback on or off"
    ]


def test_explicit_legacy_also_warns_on_its_line() -> None:
    """`auto_failback legacy` is accepted with the deprecation warning on its line."""
    cfg, issues = parse("bcast eth0\nnode alpha\nlogfile /x\nauto_failback legacy\n")
    assert cfg.auto_failback is AutoFailback.LEGACY
    assert [(i.line, i.severity) for i in issues] == [(4, Severity.WARNING)]


def test_no_media_and_no_nodes_are_errors() -> None:
    """A config without media or nodes reports both."""
    _, issues = parse("auto_failback on\nlogfile /x\n", local=None)
    assert errors(issues) == [
        "ha.cf: error: no heartbeat media defined (add a bcast, ucast or mcast line)",
        "ha.cf: error: no nodes defined (add a 'node NAME' line naming every cluster member)",
    ]


def test_local_node_must_be_listed() -> None:
    """The local node name must be one of the node directives."""
    _, issues = parse(BASE, local="gamma")
    assert errors(issues) == [
        "ha.cf:2: error: local node 'gamma' is not listed in a node directive (nodes: alpha, beta)"
    ]


def test_deadtime_must_exceed_twice_keepalive() -> None:
    """deadtime <= 2 x keepalive is an error naming both values."""
    _, issues = parse(BASE + "keepalive 2\ndeadtime 4\n")
    assert errors(issues) == [
        "ha.cf:6: error: deadtime 4000ms is too small compared to keepalive 2000ms "
        "(deadtime must be more than twice keepalive)"
    ]


def test_initdead_below_deadtime_is_error_and_below_10s_a_warning() -> None:
    """initdead < deadtime is an error; deadtime <= initdead < 10 s only a warning."""
    _, issues = parse(BASE + "deadtime 5\ninitdead 4\n")
    assert errors(issues) == [
        "ha.cf:6: error: initdead 4000ms is smaller than deadtime 5000ms "
        "(initdead must be at least deadtime)"
    ]
    _, issues = parse(BASE + "deadtime 5\ninitdead 6\n")
    assert [(i.line, i.severity) for i in issues] == [(6, Severity.WARNING)]
    assert "initdead 6000ms may be too small" in issues[0].message


def test_warntime_not_below_deadtime_warns() -> None:
    """A warntime at or above deadtime can never fire, which is worth a warning."""
    _, issues = parse(BASE + "deadtime 10\nwarntime 10\n")
    assert [(i.line, i.severity) for i in issues] == [(6, Severity.WARNING)]


def test_deadping_must_exceed_twice_keepalive() -> None:
    """An explicit deadping <= 2 x keepalive is an error."""
    _, issues = parse(BASE + "deadping 2\n")
    assert "deadping 2000ms is too small compared to keepalive 1000ms" in errors(issues)[0]


def test_autojoin_conflicts_with_haresources() -> None:
    """autojoin other/any cannot be used with haresources resource management."""
    _, issues = parse(BASE + "autojoin any\n")
    assert errors(issues) == [
        "ha.cf:5: error: autojoin any conflicts with haresources resource management "
        "(use autojoin none)"
    ]


def test_pacemaker_on_is_refused_and_off_accepted() -> None:
    """`crm respawn`/`pacemaker on` is refused explaining pyhb only manages haresources."""
    _, issues = parse(BASE + "crm respawn\n")
    assert errors(issues)[0].startswith(
        "ha.cf:5: error: pacemaker respawn: pyhb manages resources from haresources only"
    )
    cfg, issues = parse(BASE + "crm off\n")
    assert errors(issues) == []
    assert cfg.params["pacemaker"] == "off"


def test_crm_daemon_dir_must_precede_pacemaker() -> None:
    """crm_daemon_dir after the pacemaker line is an error, as in 3.0.6."""
    _, issues = parse(BASE + "pacemaker off\ncrm_daemon_dir /x\n")
    assert errors(issues) == [
        "ha.cf:6: error: crm_daemon_dir must come before the pacemaker directive (line 5)"
    ]


def test_no_log_destination_turns_use_logd_on_unless_explicitly_off() -> None:
    """Without logfile/debugfile/logfacility, use_logd is recorded yes; explicit off errors."""
    text = "bcast eth0\nnode alpha\nauto_failback on\n"
    cfg, issues = parse(text)
    assert (cfg.use_logd, cfg.params["use_logd"], issues) == (True, "yes", [])
    _, issues = parse(text + "use_logd off\n")
    assert errors(issues)[0].startswith("ha.cf:4: error: use_logd is off but no logfile")


def test_apiauth_lines_are_kept_with_their_lists() -> None:
    """Each client's uid and gid lists are kept (names as written), with the line."""
    ha, issues = parse(
        BASE + "apiauth ipfail uid=hacluster,root\napiauth dopd gid=haclient uid=0\n"
    )
    assert errors(issues) == []
    assert ha.apiauth == (
        ApiAuth("ipfail", ("hacluster", "root"), (), 5),
        ApiAuth("dopd", ("0",), ("haclient",), 6),
    )


def test_apiauth_empty_list_is_an_error() -> None:
    _, issues = parse(BASE + "apiauth ipfail uid=\n")
    assert errors(issues) == ["ha.cf:5: error: apiauth ipfail: empty uid= list (got 'uid=')"]
