"""apiauth: 3.0.6's built-in entries, configured lines replacing them, names resolved."""

from __future__ import annotations

import grp
import pwd

import pytest

from pyhb.api import access
from pyhb.config.model import ApiAuth, HaConfig
from pyhb.config.validate import check_apiauth


def test_built_in_entries_are_3_0_6s() -> None:
    table = access.grants(())
    root_gid = grp.getgrnam("root").gr_gid
    assert set(table) == {"ipfail", "ccm", "ping", "lha-snmpagent", "anon"}
    # cl_status (casual, anon) works for root, and for anyone through its setgid haclient.
    assert access.refusal(table, "123", True, 0, root_gid) is None
    assert access.refusal(table, "123", True, 1000, 1000) == "client failed authorization"
    assert access.refusal(table, "ipfail", False, 0, root_gid) == "client failed authorization"
    assert access.refusal(table, "other", False, 0, root_gid) == "no default client auth"


@pytest.mark.skipif(not any(g.gr_name == "haclient" for g in grp.getgrall()), reason="no haclient")
def test_haclient_and_hacluster_are_resolved() -> None:
    table = access.grants(())
    haclient = grp.getgrnam("haclient").gr_gid
    hacluster = pwd.getpwnam("hacluster").pw_uid
    assert access.refusal(table, "ping", False, 1000, haclient) is None
    assert access.refusal(table, "ipfail", False, hacluster, 1000) is None
    assert access.refusal(table, "123", True, 1000, haclient) is None


def test_configured_lines_replace_defaults_and_add_clients() -> None:
    table = access.grants(
        (
            ApiAuth("ipfail", ("0",), (), 7),
            ApiAuth("default", ("nosuchuser-pyhb", "1000"), ("nosuchgroup-pyhb",), 9),
        )
    )
    assert access.refusal(table, "ipfail", False, 0, 0) is None
    assert access.refusal(table, "dopd", False, 1000, 1000) is None  # via default
    assert access.refusal(table, "dopd", False, 1001, 1001) == "client failed authorization"


def test_unknown_users_and_groups_are_warned_of_with_their_line() -> None:
    ha = HaConfig(
        node=("a",),
        apiauth=(
            ApiAuth("default", ("nosuchuser-pyhb", "1000", "root"), ("nosuchgroup-pyhb",), 9),
        ),
    )
    assert [str(i) for i in check_apiauth(ha, "/etc/ha.d/ha.cf")] == [
        "/etc/ha.d/ha.cf:9: warning: apiauth default: no user called 'nosuchuser-pyhb' (ignored)",
        "/etc/ha.d/ha.cf:9: warning: apiauth default: no group called 'nosuchgroup-pyhb' (ignored)",
    ]
