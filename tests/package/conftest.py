"""Fixtures for the Debian package tests: the package is built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "HOME": "/root"}


def _version() -> str:
    for line in (REPO / "pyhb" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise AssertionError("no __version__ in pyhb/__init__.py")


@pytest.fixture(scope="session")
def deb_package() -> Path:
    """dist/pyhb_<version>_all.deb, freshly built by scripts/build-deb (as ``./run deb``)."""
    if os.geteuid() != 0:
        pytest.skip("building and installing the Debian package needs root")
    for tool in ("dpkg-buildpackage", "dh", "pybuild"):
        if shutil.which(tool, path=SYSTEM_ENV["PATH"]) is None:
            pytest.skip(f"{tool} is not installed (scripts/bootstrap installs the build tools)")
    out = subprocess.run(
        [str(REPO / "scripts" / "build-deb")],
        env=SYSTEM_ENV,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert out.returncode == 0, f"build-deb failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    deb = REPO / "dist" / f"pyhb_{_version()}_all.deb"
    assert deb.is_file(), out.stdout[-2000:]
    assert sorted(p.name for p in (REPO / "dist").glob("pyhb_*_all.deb")) == [deb.name]
    return deb
