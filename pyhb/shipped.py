"""pyhb's own files, and the one search path for resource scripts.

pyhb ships files besides its Python code: the resource agents (``resource.d/``), the OCF
wrapper for Pacemaker (``ocf/pyhb/haresource``, see ``pyhb export``), the init
script, systemd unit, logrotate file and sample configs (``etc/``) and the man pages
(``man/``). They live at the top of a source checkout, where packagers and users expect
them; the build copies them into the package as ``pyhb/_data/`` (see ``setup.py``), so a
wheel or Debian package carries them and finds them with ``importlib.resources`` wherever
it is installed. A source checkout (or an editable install of one) uses the checkout's
own copies.

Resource scripts are looked for, in order, in (Heartbeat's ``$HA_RESOURCEDIR`` then
``/etc/init.d``, with pyhb's agents between them):

1. ``CONFDIR/resource.d``
2. pyhb's own ``resource.d`` (``data_root() / "resource.d"``)
3. ``/etc/init.d``

The first regular executable file of that name wins. ``pyhb check``, ``heartbeat -t`` and
the daemon all use ``resource_dirs`` and ``find_script``; the daemon adds its ownership
checks on top (``pyhb.resources.locate``).

Imports stdlib and ``pyhb`` only, so the quick command paths stay quick.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Sequence
from pathlib import Path

import pyhb

DATA_PACKAGE_DIR = "_data"
INIT_D = Path("/etc/init.d")
#: Heartbeat's configuration directory (``$HA_DIR``): ha.cf, authkeys, haresources, resource.d.
DEFAULT_CONFDIR = Path("/etc/ha.d")
# What a data root holds: the build copies these top-level directories into the package.
RESOURCE_D = "resource.d"
SHIPPED_DIRS = (RESOURCE_D, "etc", "man", "ocf", "noarchbin")


def _checkout() -> Path:
    return Path(pyhb.__file__).resolve().parent.parent


def data_root() -> Path:
    """The directory holding pyhb's ``resource.d/``, ``etc/`` and ``man/``.

    The package's own copy (a wheel or Debian install), else the source checkout's.
    Raises ``FileNotFoundError`` naming both places when neither holds them.
    """
    packaged = importlib.resources.files(pyhb) / DATA_PACKAGE_DIR
    if isinstance(packaged, Path) and (packaged / RESOURCE_D).is_dir():
        return packaged
    checkout = _checkout()
    if (checkout / RESOURCE_D).is_dir() and (checkout / "etc" / "init.d").is_dir():
        return checkout
    raise FileNotFoundError(
        f"pyhb's own files (resource.d/, etc/) are neither in {packaged} nor in {checkout}; "
        "reinstall pyhb"
    )


def _shipped_dir(name: str) -> Path:
    """One of ``SHIPPED_DIRS`` where ``data_root`` has it, else where a package would."""
    try:
        return data_root() / name
    except FileNotFoundError:
        return Path(pyhb.__file__).resolve().parent / DATA_PACKAGE_DIR / name


def agent_dir() -> Path:
    """pyhb's own ``resource.d`` (the agents ``pyhb.agents.names`` knows)."""
    return _shipped_dir(RESOURCE_D)


def standin_dir() -> Path:
    """pyhb's stand-ins for Heartbeat's ResourceManager, mach_down and req_resource: the
    ``HA_NOARCHBIN`` of event scripts (docs/eventscripts.md)."""
    return _shipped_dir("noarchbin")


def resource_dirs(confdir: Path) -> tuple[Path, ...]:
    """The search path for resource scripts of the configuration in ``confdir``: its
    ``resource.d``, pyhb's agents, then the init scripts (always last)."""
    return (confdir / RESOURCE_D, agent_dir(), INIT_D)


def unsafe_name_reason(name: str) -> str | None:
    """Why ``name`` may not be used as a resource script name, or None if it may."""
    if not name:
        return "the resource name is empty"
    if "/" in name or ".." in name or "\0" in name:
        return f"resource name {name!r} is refused: it must not contain '/' or '..'"
    return None


def find_script(name: str, dirs: Sequence[Path]) -> Path | None:
    """The first regular, executable file called ``name`` in ``dirs``, or None.

    Unsafe names (see ``unsafe_name_reason``) never resolve."""
    if unsafe_name_reason(name):
        return None
    for directory in dirs:
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None
