"""Session checks for the whole suite.

Under ``./run test`` (``PYHB_TEST_INSTALLED=1``) pyhb must come from its installed wheel,
never from this checkout: a test that imported the source tree would hide what a plain
``pip install`` or the Debian package leaves out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pyhb

CHECKOUT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("PYHB_TEST_INSTALLED") != "1":
        return
    origin = Path(pyhb.__file__).resolve()
    if CHECKOUT in origin.parents:
        pytest.exit(
            f"pyhb was imported from the checkout ({origin}), not from its installed "
            "wheel; run the suite with ./run test",
            returncode=3,
        )


# No daemon a test starts may reboot the host: unless a test names its own, the reboot
# command of a stop failure (pyhb.daemon.fence) does nothing. The namespace lab gives
# its daemons a power-off of the namespace node instead (pyhb.lab.fencing).
os.environ.setdefault("PYHB_REBOOT_COMMAND", "/bin/true")
