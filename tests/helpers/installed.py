"""pyhb as installed, for commands a test runs as an unprivileged user.

The installed package sits in this Python's site-packages, which another user may not be
able to read (a Python under /root, say). ``readable_copy`` copies the very package that
the tests imported, never the checkout, to a directory every user can read; put it on
that command's PYTHONPATH.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyhb


def readable_copy() -> Path:
    """A fresh world-readable directory holding a copy of the imported ``pyhb`` package.

    The caller removes it (``shutil.rmtree``) when done."""
    base = Path(tempfile.mkdtemp(prefix="pyhb-readable-"))
    base.chmod(0o755)
    shutil.copytree(
        Path(pyhb.__file__).parent, base / "pyhb", ignore=shutil.ignore_patterns("__pycache__")
    )
    for path in [base, *base.rglob("*")]:
        path.chmod(0o755 if path.is_dir() or path.stat().st_mode & 0o100 else 0o644)
    return base
