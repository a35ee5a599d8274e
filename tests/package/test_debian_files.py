"""The debian/ directory agrees with the source tree (no root needed)."""

from __future__ import annotations

import re

import pyhb
from tests.package.conftest import REPO

MAN_PAGES = (
    "heartbeat.8", "pyhb.8", "cl_status.1", "hb_standby.1", "hb_takeover.1",
    "ha.cf.5", "authkeys.5", "haresources.5",
)  # fmt: skip


def _field(control: str, name: str) -> str:
    m = re.search(rf"^{name}:(.*(?:\n[ \t].*)*)", control, re.MULTILINE)
    assert m is not None, f"no {name} in debian/control"
    return " ".join(m.group(1).split())


def test_changelog_names_the_package_version() -> None:
    first = (REPO / "debian" / "changelog").read_text().splitlines()[0]
    assert first.startswith(f"pyhb ({pyhb.__version__}) "), (first, pyhb.__version__)


def test_package_takes_heartbeat_place_on_debian_python_modules() -> None:
    control = (REPO / "debian" / "control").read_text()
    for name in ("Provides", "Conflicts", "Replaces"):
        assert _field(control, name) == "heartbeat"
    depends = _field(control, "Depends")
    for module in ("cryptography", "pyroute2", "netifaces", "scapy", "prometheus-client"):
        assert f"python3-{module}" in depends


def test_every_man_page_is_shipped() -> None:
    assert sorted(p.name for p in (REPO / "man").iterdir()) == sorted(MAN_PAGES)
    for page in MAN_PAGES:
        text = (REPO / "man" / page).read_text()
        name, section = page.rsplit(".", 1)
        assert text.startswith(f".TH {name.upper()} {section} "), page
