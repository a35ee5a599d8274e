"""Build step that carries pyhb's own files into the package.

The agents (``resource.d/``), the init script, unit, logrotate file and samples
(``etc/``) and the man pages (``man/``) stay at the top of the source tree, where
packagers and users look for them. ``build_py`` copies them into the built package as
``pyhb/_data/``, with their modes, so a wheel or a Debian package carries them and
``pyhb.shipped`` finds them wherever pyhb is installed. Everything else is in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED_DIRS = ("resource.d", "etc", "man", "ocf", "noarchbin")  # pyhb.shipped.SHIPPED_DIRS


class BuildWithData(build_py):
    """``build_py`` that also copies the shipped directories into ``pyhb/_data``."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "pyhb" / "_data"
        if target.exists():
            shutil.rmtree(target)
        for name in SHIPPED_DIRS:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("*~"))


setup(cmdclass={"build_py": BuildWithData})
