"""Configuration directories the export tests translate, prepared in a scratch directory.

Every haresources form of tests/data/configs/good, the shipped sample (as shipped and with
its examples switched on), and ``every_form``: each resource.d wrapper, Delay, SendArp,
IPaddr2 labels, a site script with arguments, an init script and a STONITH device.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from pyhb.cli import export
from tests.unit.config.golden import CONFIGS, prepare

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "etc" / "ha.d"
INIT_SCRIPTS = ("apache", "httpd", "postgresql", "exim4")
WRAPPER_SCRIPTS = (
    "MailTo",
    "portblock",
    "Xinetd",
    "IPsrcaddr",
    "LVM",
    "WAS",
    "ids",
    "AudibleAlarm",
    "ldirectord",
    "mysite",
    "OCF",
    "drbdupper",
)

EVERY_FORM = """\
alpha 10.0.0.10 IPaddr2::10.0.0.11/24/eth0:web/10.0.0.255 SendArp::10.0.0.11/eth0 \\
      Delay::2::3 MailTo::root@example.com::failover portblock::tcp::80,443::unblock \\
      mysite::one::two exim4
beta IPaddr::10.0.1.5/255.255.255.0/eth1 Xinetd::tftp IPsrcaddr::10.0.1.5 LVM::vg0 \\
     WAS::9080 ids::/opt/informix::srv1::onconfig.srv1 AudibleAlarm::alpha::beta \\
     ldirectord::ldirectord.cf
beta drbddisk::r1 drbddisk::r2 Filesystem::/dev/drbd1::/srv/a \\
     Filesystem::/dev/drbd2::/srv/b::xfs::noatime
alpha drbddisk::r3
"""

EVERY_FORM_MONITORS = """\
monitor exim4 interval=5s timeout=30s restarts=2 window=10m
monitor IPaddr2::10.0.0.11/24/eth0:web/10.0.0.255 interval=1500ms
"""


def _executable(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho running\n")
    path.chmod(0o755)


def build(name: str, scratch: Path) -> Path:
    """A ready configuration directory for case ``name`` (see ``CASES``)."""
    if name.startswith("good/"):
        confdir = prepare(CONFIGS / name, scratch)
    else:
        confdir = scratch / name
        shutil.copytree(SAMPLE, confdir)
        (confdir / "authkeys").write_text("auth 1\n1 sha1 sample-secret\n")
        (confdir / "authkeys").chmod(0o600)
        (confdir / "nodeinfo").write_text("alpha\n")
        haresources = confdir / "haresources"
        if name == "sample-examples":
            text = haresources.read_text()
            # The spelled-out address line, and the DRBD line with its continuation.
            haresources.write_text(re.sub(r"(?m)^#(?=alpha IPaddr|beta |\s{4,}[0-9])", "", text))
        elif name == "every-form":
            haresources.write_text(EVERY_FORM)
            with (confdir / "ha.cf").open("a") as hacf:
                hacf.write("stonith_host * external/ipmi alpha 10.9.0.1 admin pw1 lanplus\n")
                hacf.write("stonith_host * external/ipmi beta 10.9.0.2 admin pw2\n")
            (confdir / "pyhb.cf").write_text(EVERY_FORM_MONITORS)
    for script in INIT_SCRIPTS:
        _executable(confdir / "init.d" / script)
    for script in WRAPPER_SCRIPTS:
        _executable(confdir / "resource.d" / script)
    return confdir


CASES = (
    "good/two_node_bcast",
    "good/two_node_ucast",
    "good/mcast_ms_timings",
    "sample",
    "sample-examples",
    "every-form",
)


def run_export(confdir: Path, *args: str) -> tuple[int, str, str]:
    """(status, stdout, stderr) of ``pyhb export -c CONFDIR ARGS`` with the case's dirs."""
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "-c",
        str(confdir),
        "-R",
        str(confdir / "resource.d"),
        "-R",
        str(REPO / "resource.d"),
        "--init-dir",
        str(confdir / "init.d"),
        *args,
    ]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = export.main(argv)
    return status, out.getvalue(), err.getvalue()


# --- comparing CIBs: what Pacemaker reads, not how a tool spelled it ----------------------

_DEFAULTS = {("rsc-role", "Started"), ("kind", "Mandatory")}


def _canon(elem: ET.Element) -> str:
    attrs = sorted((k, v) for k, v in elem.attrib.items() if k != "id" and (k, v) not in _DEFAULTS)
    kids = [_canon(child) for child in elem]
    if elem.tag != "group":  # a group's order is its start order; nothing else has one
        kids.sort()
    return f"<{elem.tag} {attrs}>[{', '.join(kids)}]"


def semantic(cib_text: str) -> dict[str, str | list[str]]:
    """The parts of a CIB that configure the cluster, with ids and defaults dropped."""
    root = ET.fromstring(cib_text)  # noqa: S314 - our own output
    config = root.find("configuration")
    assert config is not None

    def pairs(path: str) -> list[str]:
        return sorted(f"{p.get('name')}={p.get('value')}" for p in config.iterfind(path))

    return {
        "properties": pairs("crm_config/cluster_property_set/nvpair"),
        "rsc_defaults": pairs("rsc_defaults/meta_attributes/nvpair"),
        "resources": sorted(_canon(r) for r in config.iterfind("resources/*")),
        "constraints": sorted(_canon(c) for c in config.iterfind("constraints/*")),
    }
