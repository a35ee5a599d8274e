"""Where a node keeps its files; Heartbeat's own paths are the defaults.

Imports stdlib, ``pyhb.daemon.private``, ``pyhb.daemon.pidfile`` and ``pyhb.shipped`` only,
so that the quick command-line paths (``heartbeat -k``/``-s``/``-V``) load nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyhb.daemon.pidfile import DEFAULT_PIDFILE
from pyhb.daemon.private import DEFAULT_RUNDIR, private_dir
from pyhb.shipped import DEFAULT_CONFDIR, resource_dirs


@dataclass(frozen=True, slots=True)
class Paths:
    """Where a node keeps its files; several nodes on one host use different ones."""

    confdir: Path = DEFAULT_CONFDIR
    statedir: Path = Path("/var/lib/heartbeat")
    rundir: Path = DEFAULT_RUNDIR
    pidfile: Path = DEFAULT_PIDFILE

    @property
    def control_socket(self) -> Path:
        return self.rundir / "pyhb.sock"

    @property
    def private_dir(self) -> Path:
        """Root's own run directory (``daemon.private``): rsctmp, the socket being made."""
        return private_dir(self.rundir)

    @property
    def rsctmp(self) -> Path:
        """``HA_RSCTMP``: resource scripts' pid and state files."""
        return self.private_dir / "rsctmp"

    def resource_dirs(self) -> tuple[Path, ...]:
        return tuple(d for d in resource_dirs(self.confdir) if d.is_dir())
