"""Where a node keeps its files. Imports stdlib and ``pyhb`` only, so that the quick
command-line paths (``heartbeat -k``/``-s``/``-V``) load nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyhb

PYHB_RESOURCE_DIRS = (
    Path(pyhb.__file__).resolve().parent.parent / "resource.d",
    Path("/usr/share/pyhb/resource.d"),
)


@dataclass(frozen=True, slots=True)
class Paths:
    """Where a node keeps its files; several nodes on one host use different ones."""

    confdir: Path = Path("/etc/ha.d")
    statedir: Path = Path("/var/lib/heartbeat")
    rundir: Path = Path("/run/heartbeat")
    pidfile: Path = Path("/run/heartbeat.pid")

    @property
    def control_socket(self) -> Path:
        return self.rundir / "pyhb.sock"

    def resource_dirs(self) -> tuple[Path, ...]:
        dirs = [self.confdir / "resource.d", *PYHB_RESOURCE_DIRS, Path("/etc/init.d")]
        return tuple(d for d in dirs if d.is_dir())
