"""What the export says: haresources forms, auto_failback, fencing, errors, corosync.conf."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.unit.export.cases import build, run_export


def _cib(confdir: Path) -> ET.Element:
    status, out, err = run_export(confdir)
    assert status == 0, err
    return ET.fromstring(out)  # noqa: S314 - our own output


def _params(root: ET.Element, rsc: str) -> dict[str, str]:
    prim = root.find(f".//primitive[@id='{rsc}']")
    assert prim is not None, rsc
    return {
        p.get("name", ""): p.get("value", "") for p in prim.iterfind("instance_attributes/nvpair")
    }


def _agent(root: ET.Element, rsc: str) -> str:
    prim = root.find(f".//primitive[@id='{rsc}']")
    assert prim is not None, rsc
    return ":".join(v for v in (prim.get("class"), prim.get("provider"), prim.get("type")) if v)


def _props(root: ET.Element, path: str) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in root.iterfind(path)}


def test_every_form_maps_to_its_agent_and_parameters(tmp_path: Path) -> None:
    root = _cib(build("every-form", tmp_path))
    assert root.get("validate-with", "").startswith("pacemaker-3.")
    group = root.find(".//group[@id='grp-ip-10.0.0.10']")
    assert group is not None
    assert [p.get("id") for p in group.iterfind("primitive")] == [
        "ip-10.0.0.10",
        "ip-10.0.0.11",
        "SendArp-10.0.0.11-eth0",
        "Delay-2-3",
        "MailTo-root-example.com-failover",
        "portblock-tcp-80-443-unblock",
        "mysite-one-two",
        "exim4",
    ]
    assert _params(root, "ip-10.0.0.11") == {
        "ip": "10.0.0.11",
        "cidr_netmask": "24",
        "nic": "eth0",
        "broadcast": "10.0.0.255",
        "iflabel": "web",
    }
    assert _params(root, "ip-10.0.1.5") == {"ip": "10.0.1.5", "cidr_netmask": "24", "nic": "eth1"}
    assert _agent(root, "ip-10.0.0.10") == "ocf:heartbeat:IPaddr2"
    assert _params(root, "Delay-2-3") == {"startdelay": "2", "stopdelay": "3", "mondelay": "0"}
    assert _params(root, "MailTo-root-example.com-failover") == {
        "email": "root@example.com",
        "subject": "failover",
    }
    assert _agent(root, "exim4") == "lsb:exim4"
    assert _params(root, "exim4") == {}
    assert _agent(root, "mysite-one-two") == "ocf:pyhb:haresource"
    site = _params(root, "mysite-one-two")
    assert site["args"] == "one::two"
    assert site["script"].endswith("/resource.d/mysite")
    assert _params(root, "AudibleAlarm-alpha-beta") == {"nodelist": "alpha beta"}
    assert _params(root, "WAS-9080") == {"port": "9080"}
    assert _params(root, "fs-srv-a")["fstype"] == "auto"
    assert _params(root, "fs-srv-b") == {
        "device": "/dev/drbd2",
        "directory": "/srv/b",
        "fstype": "xfs",
        "options": "noatime",
    }
    # Every primitive has a monitor operation: Pacemaker checks nothing otherwise.
    for prim in root.iter("primitive"):
        assert prim.find("operations/op[@name='monitor']") is not None, prim.get("id")


def test_drbddisk_becomes_promotable_clone_colocated_and_ordered(tmp_path: Path) -> None:
    root = _cib(build("every-form", tmp_path))
    clone = root.find(".//clone[@id='drbd-r1-clone']")
    assert clone is not None
    meta = _props(clone, "meta_attributes/nvpair")
    assert meta["promotable"] == "true"
    assert meta["promoted-max"] == "1"
    assert meta["notify"] == "true"
    assert _agent(root, "drbd-r1") == "ocf:linbit:drbd"
    assert _params(root, "drbd-r1") == {"drbd_resource": "r1"}
    cons = root.find(".//constraints")
    assert cons is not None
    col = cons.find("rsc_colocation[@with-rsc='drbd-r1-clone']")
    assert col is not None
    assert col.get("rsc") == "grp-fs-srv-a"
    assert (col.get("with-rsc-role"), col.get("score")) == ("Promoted", "INFINITY")
    order = cons.find("rsc_order[@first='drbd-r2-clone']")
    assert order is not None
    assert (order.get("first-action"), order.get("then"), order.get("then-action")) == (
        "promote",
        "grp-fs-srv-a",
        "start",
    )
    rule = cons.find("rsc_location[@rsc='drbd-r3-clone']/rule")
    assert rule is not None
    assert (rule.get("role"), rule.get("score")) == ("Promoted", "100")


@pytest.mark.parametrize(
    ("case", "stickiness"),
    [("good/two_node_bcast", "0"), ("good/two_node_ucast", "200"), ("sample", "0")],
)
def test_auto_failback_sets_stickiness_below_or_above_the_preference(
    case: str, stickiness: str, tmp_path: Path
) -> None:
    root = _cib(build(case, tmp_path))
    assert _props(root, ".//rsc_defaults/meta_attributes/nvpair") == {
        "resource-stickiness": stickiness
    }
    for loc in root.iterfind(".//rsc_location[@node]"):
        assert loc.get("score") == "100"


def test_legacy_failback_reads_as_on_with_a_comment(tmp_path: Path) -> None:
    confdir = build("good/two_node_bcast", tmp_path)
    hacf = confdir / "ha.cf"
    hacf.write_text(hacf.read_text().replace("auto_failback on", ""))
    status, out, _ = run_export(confdir)
    assert status == 0
    assert "auto_failback legacy" in out
    assert 'name="resource-stickiness" value="0"' in out


def test_preferred_node_and_bare_primitive(tmp_path: Path) -> None:
    root = _cib(build("good/two_node_bcast", tmp_path))
    assert root.find(".//resources/primitive[@id='ip-10.0.0.101']") is not None
    loc = root.find(".//rsc_location[@rsc='ip-10.0.0.101']")
    assert loc is not None
    assert loc.get("node") == "beta"
    loc = root.find(".//rsc_location[@rsc='grp-ip-10.0.0.100']")
    assert loc is not None
    assert loc.get("node") == "alpha"


def test_no_fencing_is_disabled_loudly_and_stonith_host_enables_it(tmp_path: Path) -> None:
    status, out, _ = run_export(build("good/two_node_bcast", tmp_path / "a"))
    assert status == 0
    assert "NEEDS fencing" in out
    assert 'name="stonith-enabled" value="false"' in out
    root = _cib(build("every-form", tmp_path / "b"))
    assert _props(root, ".//cluster_property_set/nvpair")["stonith-enabled"] == "true"
    assert _agent(root, "fence-alpha") == "stonith:fence_ipmilan"
    assert _params(root, "fence-alpha") == {
        "ip": "10.9.0.1",
        "username": "admin",
        "password": "pw1",
        "lanplus": "1",
        "pcmk_host_list": "alpha",
    }
    avoid = root.find(".//rsc_location[@rsc='fence-alpha']")
    assert avoid is not None
    assert (avoid.get("node"), avoid.get("score")) == ("alpha", "-INFINITY")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("alpha 10.0.0.1 drbddisk::r0", "drbddisk must come first"),
        ("alpha drbddisk", "needs exactly one DRBD resource name"),
        ("alpha OCF::IPaddr::one", "instance file"),
        ("alpha drbdupper::r0", "stacked DRBD"),
        ("alpha MailTo", "MailTo takes 1 to 2"),
        ("alpha IPaddr::10.0.0.1/99", "invalid netmask"),
        ("alpha apache::/etc/apache.conf", "init script (lsb:apache) takes no arguments"),
        ("alpha Delay::soon", "is not a number of seconds"),
    ],
)
def test_untranslatable_resources_are_errors_naming_path_and_line(
    line: str, message: str, tmp_path: Path
) -> None:
    confdir = build("good/two_node_bcast", tmp_path)
    (confdir / "resource.d" / "MailTo").chmod(0o755)
    (confdir / "haresources").write_text(f"# comment\n{line}\n")
    status, out, err = run_export(confdir)
    assert (status, out) == (1, "")
    assert f"{confdir}/haresources:2: error: " in err, err
    assert message in err, err


def test_unsupported_stonith_is_an_error_naming_the_line(tmp_path: Path) -> None:
    confdir = build("good/two_node_bcast", tmp_path)
    lines = (confdir / "ha.cf").read_text().count("\n")
    with (confdir / "ha.cf").open("a") as hacf:
        hacf.write("stonith_host * rps10 /dev/ttyS0 alpha 0\n")
    status, _, err = run_export(confdir)
    assert status == 1
    assert f"{confdir}/ha.cf:{lines + 1}: error: stonith_host: plugin 'rps10'" in err


def test_config_errors_are_reported_like_pyhb_check(tmp_path: Path) -> None:
    confdir = build("good/two_node_bcast", tmp_path)
    (confdir / "haresources").write_text("gamma 10.0.0.1\n")
    status, out, err = run_export(confdir)
    assert (status, out) == (1, "")
    assert f"{confdir}/haresources:1: error: node 'gamma' is not a configured node" in err


def test_corosync_conf_has_the_nodes_addresses_two_node_quorum_and_token(tmp_path: Path) -> None:
    confdir = build("good/two_node_bcast", tmp_path)
    status, out, err = run_export(
        confdir,
        "--corosync",
        "--addr",
        "alpha=10.1.0.1,10.2.0.1",
        "--addr",
        "beta=10.1.0.2,10.2.0.2",
    )
    assert status == 0, err
    assert (
        "\t\tname: alpha\n\t\tnodeid: 1\n\t\tring0_addr: 10.1.0.1\n\t\tring1_addr: 10.2.0.1" in out
    )
    assert (
        "\t\tname: beta\n\t\tnodeid: 2\n\t\tring0_addr: 10.1.0.2\n\t\tring1_addr: 10.2.0.2" in out
    )
    assert "provider: corosync_votequorum\n\ttwo_node: 1" in out
    assert "token: 4545" in out  # deadtime 10 s = token + consensus (1.2 x token)
    assert "transport: knet" in out
    assert "crypto_cipher: aes256" in out
    status, _, err = run_export(confdir, "--corosync", "--addr", "gamma=10.0.0.9")
    assert status == 1
    assert "--addr: error: 'gamma=10.0.0.9'" in err


def _op(root: ET.Element, rsc: str, name: str) -> tuple[str, str]:
    op = root.find(f".//primitive[@id='{rsc}']/operations/op[@name='{name}']")
    assert op is not None, (rsc, name)
    return op.get("interval", ""), op.get("timeout", "")


def _meta(root: ET.Element, rsc: str) -> dict[str, str]:
    prim = root.find(f".//primitive[@id='{rsc}']")
    assert prim is not None, rsc
    return {p.get("name", ""): p.get("value", "") for p in prim.iterfind("meta_attributes/nvpair")}


def test_pyhb_cf_monitors_become_monitor_operations_and_failure_counts(tmp_path: Path) -> None:
    """A pyhb.cf monitor sets its resource's monitor operation, and Pacemaker moves the
    resource at the failure pyhb would move it at (restarts + 1), counted over ``window``."""
    root = _cib(build("every-form", tmp_path))
    assert _op(root, "exim4", "monitor") == ("5s", "30s")
    assert _meta(root, "exim4") == {"migration-threshold": "3", "failure-timeout": "600s"}
    assert _op(root, "ip-10.0.0.11", "monitor")[0] == "1500ms"
    assert _meta(root, "ip-10.0.0.11") == {"migration-threshold": "2", "failure-timeout": "600s"}
    assert _meta(root, "ip-10.0.0.10") == {}  # not monitored in pyhb.cf: the agent's defaults


def test_a_monitor_check_command_cannot_be_exported(tmp_path: Path) -> None:
    confdir = build("every-form", tmp_path)
    (confdir / "pyhb.cf").write_text("# checks\nmonitor exim4 check=/usr/local/bin/mailq-ok\n")
    status, out, err = run_export(confdir)
    assert status != 0
    assert out == ""
    assert f"{confdir / 'pyhb.cf'}:2:" in err
    assert "check= cannot be exported" in err
