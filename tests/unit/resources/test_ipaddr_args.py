"""Parsing IPaddr arguments and choosing interface, netmask and label like heartbeat."""

from __future__ import annotations

import pytest

from pyhb.agents.args import IpSpec, parse_ipaddr_arg
from pyhb.agents.base import UsageError
from pyhb.agents.ipaddr import AddrEntry, find_subnet, free_alias_label, subnet_broadcast


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("135.9.8.7", IpSpec("135.9.8.7")),
        ("135.9.8.7/24", IpSpec("135.9.8.7", 24)),
        ("135.9.8.7/24/135.9.8.210", IpSpec("135.9.8.7", 24, broadcast="135.9.8.210")),
        ("135.9.8.7/24/eth0", IpSpec("135.9.8.7", 24, "eth0")),
        ("135.9.8.7/24/eth0/135.9.8.210", IpSpec("135.9.8.7", 24, "eth0", None, "135.9.8.210")),
        ("10.0.0.5/255.255.0.0/eth1", IpSpec("10.0.0.5", 16, "eth1")),
        ("10.0.0.5/24/eth0:1", IpSpec("10.0.0.5", 24, "eth0", "1")),
        ("10.0.0.5/24/eth0:web", IpSpec("10.0.0.5", 24, "eth0", "web")),
    ],
)
def test_ipaddr_argument_forms(text: str, spec: IpSpec) -> None:
    """Every form of the sample haresources parses to the same parts as the v1 wrapper."""
    assert parse_ipaddr_arg(text) == spec


@pytest.mark.parametrize(
    "text",
    ["10.0.0", "10.0.0.1/33", "10.0.0.1/255.0.255.0", "x.y.z.w", "10.0.0.1/24/eth0/notip", "/24"],
)
def test_malformed_ipaddr_arguments_are_usage_errors(text: str) -> None:
    """Bad addresses, masks and broadcasts raise UsageError."""
    with pytest.raises(UsageError):
        parse_ipaddr_arg(text)


ENTRIES = [
    AddrEntry(1, "lo", "127.0.0.1", 8, "lo"),
    AddrEntry(2, "eth0", "10.77.0.1", 16, "eth0"),
    AddrEntry(3, "eth1", "10.77.5.1", 24, "eth1"),
    AddrEntry(2, "eth0", "10.77.0.100", 24, "eth0:0"),
]


def test_find_subnet_prefers_the_longest_prefix() -> None:
    """Like findif, the most specific configured subnet holding the address wins."""
    found = find_subnet(ENTRIES, "10.77.5.9", None)
    assert found is not None
    assert (found.ifname, found.prefixlen) == ("eth1", 24)


def test_find_subnet_restricted_to_given_nic() -> None:
    """With a NIC given, only that interface's subnets are considered."""
    found = find_subnet(ENTRIES, "10.77.5.9", "eth0")
    assert found is not None
    assert (found.ifname, found.prefixlen) == ("eth0", 16)


def test_find_subnet_none_when_no_subnet_matches() -> None:
    """An address outside every configured subnet has no interface."""
    assert find_subnet(ENTRIES, "192.0.2.1", None) is None


def test_free_alias_label_skips_used_labels() -> None:
    """IPaddr picks the first NIC:N that is not a label yet."""
    assert free_alias_label(ENTRIES, "eth0") == "eth0:1"
    assert free_alias_label(ENTRIES, "eth1") == "eth1:0"


def test_free_alias_label_none_when_too_long() -> None:
    """Labels longer than the kernel's 15 characters are not used."""
    assert free_alias_label([], "averyveryverylong") is None


def test_subnet_broadcast() -> None:
    """The default broadcast is the subnet's, none for /31 and /32."""
    assert subnet_broadcast("10.77.0.100", 24) == "10.77.0.255"
    assert subnet_broadcast("10.77.0.100", 32) is None
