"""authkeys: format, methods, key selection in any order, and the permission refusal."""

from __future__ import annotations

import pytest

from pyhb.config.authkeys import mode_issue, parse_authkeys
from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.config.source import ConfigIssue, Severity


def errors(issues: list[ConfigIssue]) -> list[str]:
    return [str(i) for i in issues if i.severity is Severity.ERROR]


def test_sha1_key_selected_by_auth_line() -> None:
    """`auth 1` + `1 sha1 s3cret` selects key 1 with its key bytes."""
    keys, issues = parse_authkeys("# c\nauth 1\n1 sha1 s3cret\n", "authkeys")
    assert issues == []
    assert keys is not None
    assert keys.outbound == AuthKey(1, AuthMethod.SHA1, b"s3cret")


def test_auth_line_may_follow_its_key_line() -> None:
    """Unlike 3.0.6, the `auth N` line may come after the `N ...` line."""
    keys, issues = parse_authkeys("2 md5 abc\n1 sha1 xyz\nauth 2\n", "authkeys")
    assert issues == []
    assert keys is not None
    assert keys.active == 2
    assert [k.index for k in keys.keys] == [1, 2]


def test_crc_needs_no_key_and_is_warned_about() -> None:
    """A crc key line has no key; signing with crc is accepted with a warning."""
    keys, issues = parse_authkeys("auth 0\n0 crc\n", "authkeys")
    assert keys is not None
    assert keys.outbound == AuthKey(0, AuthMethod.CRC, b"")
    assert [(i.line, i.severity) for i in issues] == [(1, Severity.WARNING)]


def test_key_is_first_word_after_method_and_hash_is_part_of_it() -> None:
    """Only the first word is the key (rest ignored with a warning); `#` inside a key is kept
    and a trailing comment on the auth line is ignored."""
    keys, issues = parse_authkeys("auth 3 # the active key\n3 md5 k#y with spaces\n", "authkeys")
    assert keys is not None
    assert keys.outbound.key == b"k#y"
    assert [str(i) for i in issues] == [
        "authkeys:2: warning: key 3: only the first word 'k#y' is the key; the rest of the "
        "line is ignored, as heartbeat does"
    ]


def test_key_bytes_survive_non_utf8() -> None:
    """Keys are the file's bytes even when they are not valid UTF-8."""
    text = b"auth 1\n1 sha1 \xff\xfe\n".decode("utf-8", "surrogateescape")
    keys, _ = parse_authkeys(text, "authkeys")
    assert keys is not None
    assert keys.outbound.key == b"\xff\xfe"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("auth 1\n16 sha1 x\n", "authkeys:2: error: invalid key index 16 (use 0 to 15)"),
        ("auth 16\n", "authkeys:1: error: auth 16: key index out of range (use 0 to 15)"),
        ("authx\n1 sha1 x\n", "authkeys:1: error: invalid auth line 'authx'"),
        ("auth 1\n1 SHA1 x\n", "authkeys:2: error: key 1: unknown method 'SHA1' (use crc, md5 "
         "or sha1; method names are lower-case: write 'sha1')"),
        ("auth 1\n1 sha256 x\n", "authkeys:2: error: key 1: unknown method 'sha256' (use crc, "
         "md5 or sha1)"),
        ("auth 1\n1 crc x\n", "authkeys:2: error: key 1: crc does not use a key"),
        ("auth 1\n1 sha1\n", "authkeys:2: error: key 1: sha1 requires a key"),
        ("auth 1\n1\n", "authkeys:2: error: key 1: no method given"),
        ("auth 1\nkey sha1 x\n", "authkeys:2: error: invalid line 'key sha1 x'"),
        ("1 sha1 x\n", "authkeys: error: no 'auth N' line"),
        ("auth 2\n1 sha1 x\n", "authkeys:1: error: auth 2 names key 2, which is not defined "
         "(defined keys: 1)"),
        ("auth 1\n1 sha1 x\n1 md5 y\n", "authkeys:3: error: key 1 is defined twice (first on "
         "line 2)"),
    ],
)  # fmt: skip
def test_bad_authkeys_are_refused_with_one_clear_error(text: str, message: str) -> None:
    """Each malformed authkeys yields exactly one error naming the problem, and no keys."""
    keys, issues = parse_authkeys(text, "authkeys")
    assert keys is None
    found = errors(issues)
    assert len(found) == 1
    assert found[0].startswith(message)


def test_repeated_auth_line_last_wins_with_warning() -> None:
    """A second `auth` line selects its key and warns that the first is overridden."""
    keys, issues = parse_authkeys("auth 1\nauth 2\n1 sha1 a\n2 sha1 b\n", "authkeys")
    assert keys is not None
    assert keys.active == 2
    assert [(i.line, i.severity) for i in issues] == [(2, Severity.WARNING)]


@pytest.mark.parametrize("mode", [0o100600, 0o400, 0o700, 0o200])
def test_modes_only_the_owner_can_use_are_accepted(mode: int) -> None:
    assert mode_issue("/etc/ha.d/authkeys", mode) is None


@pytest.mark.parametrize(("mode", "shown"), [(0o622, "0622"), (0o620, "0620"), (0o602, "0602")])
def test_keys_others_can_change_are_refused(mode: int, shown: str) -> None:
    """Heartbeat 3.0.6 accepts 0622; whoever can write the keys can sign packets."""
    issue = mode_issue("/etc/ha.d/authkeys", mode)
    assert issue is not None
    assert str(issue) == (
        f"/etc/ha.d/authkeys: error: bad permissions {shown} on /etc/ha.d/authkeys: the keys "
        "must not be writable by group or others (run: chmod 600 /etc/ha.d/authkeys)"
    )


@pytest.mark.parametrize(("mode", "shown"), [(0o100644, "0644"), (0o640, "0640"), (0o604, "0604")])
def test_group_or_other_readable_keys_are_refused_naming_mode_and_fix(
    mode: int, shown: str
) -> None:
    """A group/other-readable authkeys is an error naming the file, its mode and chmod 600."""
    issue = mode_issue("/etc/ha.d/authkeys", mode)
    assert issue is not None
    assert str(issue) == (
        f"/etc/ha.d/authkeys: error: bad permissions {shown} on /etc/ha.d/authkeys: the keys "
        "must not be readable by group or others (run: chmod 600 /etc/ha.d/authkeys)"
    )


def test_unused_crc_and_md5_keys_are_warned_about_and_crc_is_refused_on_input() -> None:
    """A leftover crc key would let anyone sign packets: it is refused on input and the
    check says so; a leftover md5 key is still accepted (key change) but warned about; a
    leftover sha1 key is the normal state of a key change."""
    text = "auth 1\n1 sha1 s3cret\n2 crc\n3 md5 old\n4 sha1 older\n"
    keys, issues = parse_authkeys(text, "authkeys")
    assert keys is not None
    assert [(i.line, i.severity) for i in issues] == [(3, Severity.WARNING), (4, Severity.WARNING)]
    assert "refuses packets signed with it" in issues[0].message
    assert "still accepted" in issues[1].message
    assert [i for i in range(6) if keys.accepts(i)] == [1, 3, 4]
    crc_active = AuthKeys(2, keys.keys)
    assert [i for i in range(6) if crc_active.accepts(i)] == [1, 2, 3, 4]
