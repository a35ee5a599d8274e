"""Built-in agents' arguments are checked with the agents' own rules, every bad one at its
own physical line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhb.agents.args import argument_problems, parse_ipaddr_arg
from pyhb.agents.base import UsageError
from pyhb.config import check_config
from pyhb.config.agent_args import check_agent_args
from tests.unit.config.test_load import write_confdir

GOOD = [
    "10.0.0.1",
    "IPaddr::10.0.0.1",
    "IPaddr::10.0.0.1/24",
    "IPaddr::10.0.0.1/24/eth0",
    "IPaddr::10.0.0.1/255.255.255.0/eth0:1/10.0.0.255",
    "IPaddr::10.0.0.1/24/10.0.0.255",
    "IPaddr2::10.0.0.1/24/eth0:web",
    "Filesystem::/dev/sda1::/data",
    "Filesystem::/dev/drbd0::/srv/data::ext4::noatime,nodev",
    "drbddisk",
    "drbddisk::r0",
    "Delay",
    "Delay::5",
    "Delay::1.5::0",
    "Other::anything::goes",
]

BAD = [
    ("IPaddr::10.0.0.1/²/lo", "invalid netmask '²'"),
    ("IPaddr::10.0.0.1/33", "invalid netmask '33'"),
    ("IPaddr::10.0.0.1/255.0.255.0", "invalid netmask '255.0.255.0'"),
    ("IPaddr::10.0.0.300/24", "invalid IP address '10.0.0.300'"),
    ("IPaddr::١٠.0.0.1/24", "invalid IP address '١٠.0.0.1'"),
    ("IPaddr::host.example/24", "invalid IP address 'host.example'"),
    ("IPaddr::10.0.0.1/24/eth0/10.0.0.x", "invalid broadcast address '10.0.0.x'"),
    ("IPaddr::10.0.0.1/24/10.0.0.256", "invalid broadcast address '10.0.0.256'"),
    ("IPaddr::10.0.0.1/24/averyveryverylongnic", "longer than 15 characters"),
    ("IPaddr::10.0.0.1/24/..", "interface name '..' is not valid"),
    ("IPaddr::10.0.0.1/24/eth0/10.0.0.255/x", "more than 4 '/'-separated parts"),
    ("IPaddr::10.0.0.1::extra", "takes one argument"),
    ("IPaddr2::10.0.0.1/24/eth0:verylonglabel", "interface label [eth0:verylonglabel] exceeds"),
    ("Filesystem::/dev/sda1", "takes device::directory"),
    ("Filesystem::/dev/sda1::data", "mount point 'data' is not an absolute directory"),
    ("Filesystem::::/data", "the device is empty"),
    ("Filesystem::/dev/sda1::/data::e$t4", "invalid file system type 'e$t4'"),
    ("drbddisk::r0::r1", "takes at most one argument"),
    ("Delay::x", "delay 'x' is not a number of seconds"),
    ("Delay::5::²", "delay '²' is not a number of seconds"),
    ("Delay::1::2::3", "takes at most two arguments"),
]


@pytest.mark.parametrize("word", GOOD)
def test_good_arguments_pass(word: str) -> None:
    assert check_agent_args(f"alpha {word}\n", "hr") == []


@pytest.mark.parametrize(("word", "message"), BAD)
def test_bad_arguments_are_errors_naming_the_resource(word: str, message: str) -> None:
    issues = check_agent_args(f"alpha {word}\n", "hr")
    assert len(issues) == 1, issues
    text = str(issues[0])
    assert text.startswith(f"hr:1: error: {word}: ")
    assert message in text


def test_non_ascii_digits_never_reach_int() -> None:
    """``'²'.isdigit()`` is true but ``int('²')`` fails: the agent refuses it cleanly."""
    with pytest.raises(UsageError, match="invalid netmask"):
        parse_ipaddr_arg("10.0.0.1/²/lo")
    assert argument_problems("IPaddr", ("10.0.0.1/²/lo",))


def test_every_bad_item_of_a_line_is_reported_each_at_its_own_physical_line() -> None:
    text = (
        "# comment\n"
        "alpha IPaddr::10.0.0.999 Delay::x \\\n"
        "   Filesystem::/dev/sda1::rel drbddisk::r0 \\\n"
        "   IPaddr::10.0.0.1/40\n"
        "beta Delay::1::2::3\n"
    )
    found = [(i.line, i.message.split(":", 2)[0]) for i in check_agent_args(text, "hr")]
    assert found == [(2, "IPaddr"), (2, "Delay"), (3, "Filesystem"), (4, "IPaddr"), (5, "Delay")]


def test_pyhb_check_reports_them(tmp_path: Path) -> None:
    confdir = write_confdir(tmp_path, res="alpha IPaddr::10.0.0.1/²/lo Dummy\n")
    issues = check_config(confdir, "alpha", check_ifaces=False)
    assert [str(i) for i in issues] == [
        f"{confdir}/haresources:1: error: IPaddr::10.0.0.1/²/lo: invalid netmask '²' "
        "(bits 0-32 or a dotted netmask)"
    ]
