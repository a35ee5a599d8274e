"""Running host commands for the lab, and killing every process of a namespace.

Imports stdlib and ``pyhb.errors`` only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyhb.errors import PyhbError


class LabError(PyhbError):
    """A lab command failed; the message has the command and its stderr."""


def sh(argv: Sequence[str], *, check: bool = True, timeout: float = 20) -> str:
    """Run a host command, return its stdout; raise LabError on failure if ``check``."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def iptables_binary() -> str:
    """The iptables command to use (the distribution default, else iptables-legacy)."""
    for name in ("iptables", "iptables-legacy", "iptables-nft"):
        path = shutil.which(name)
        if path:
            return path
    raise LabError("iptables is not installed")


@dataclass(frozen=True, slots=True)
class PingResult:
    transmitted: int
    received: int

    @property
    def lost(self) -> int:
        return self.transmitted - self.received


def namespace_pids(ns: str) -> list[int]:
    """Pids of every process in network namespace ``ns`` (empty if it is gone)."""
    out = sh(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def kill_namespaces(namespaces: Sequence[str], grace: float = 1.0) -> None:
    """SIGTERM every process in the namespaces, SIGKILL what is left after ``grace``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [p for ns in namespaces for p in namespace_pids(ns)]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not any(namespace_pids(ns) for ns in namespaces):
                return
            time.sleep(0.02)


def copy_skeleton(src: Path, dst: Path) -> None:
    """Recreate the directory tree of ``src`` under ``dst`` (no files), same owner/mode."""
    for dirpath, _dirnames, _files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        target = dst / rel
        target.mkdir(parents=True, exist_ok=True)
        st = os.stat(dirpath)
        os.chmod(target, st.st_mode & 0o7777)
        with contextlib.suppress(PermissionError):
            os.chown(target, st.st_uid, st.st_gid)
