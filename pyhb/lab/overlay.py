"""A private, writable copy of the host's system for a lab node (root only).

``overlay_root(node)`` gives a started ``Node`` its own view of ``/usr``, ``/etc`` and
``/var``: an overlayfs per directory with the host's directory as the read-only lower layer
and an upper layer under the node's lab directory. Packages installed or removed in the
node (``dpkg``, ``apt-get``) change only that node, and vanish with the lab. On top, as
for every node, its private ``/etc/ha.d``, ``/var/lib/heartbeat`` and ``/run`` are bind
mounts of the node's directories, so the host can read them.

The mounts live in one long-lived namespace per node (a holder process, ``sleep``); from
then on ``Node.spawn``/``Node.run`` enter it with ``nsenter`` instead of making a fresh
mount namespace per command, so every command of the node sees the same mounts. The
holder runs in the node's network namespace and dies with the lab (``Lab.close``), and with
it the mounts; the host's mount table never changes. Imports stdlib and ``pyhb.lab`` only.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from pyhb.lab.netns import Node
from pyhb.lab.shell import LabError

OVERLAID = ("/usr", "/etc", "/var")

_HOLDER = (
    "set -e; "
    'layers="$1"; etc_ha="$2"; var_lib="$3"; run="$4"; name="$5"; '
    "for d in " + " ".join(d.lstrip("/") for d in OVERLAID) + "; do "
    '  mkdir -p "$layers/upper/$d" "$layers/work/$d"; '
    '  mount -t overlay "pyhb-$d" '
    '    -o "lowerdir=/$d,upperdir=$layers/upper/$d,workdir=$layers/work/$d" "/$d"; '
    "done; "
    "mkdir -p /etc/ha.d /var/lib/heartbeat; "
    'mount --bind "$etc_ha" /etc/ha.d; '
    'mount --bind "$var_lib" /var/lib/heartbeat; '
    'mount --bind "$run" /run; '
    'hostname "$name"; '
    "exec sleep infinity"
)


def overlay_root(node: Node, *, timeout: float = 10) -> Path:
    """Give ``node`` an overlay root; returns the directory holding its upper layers."""
    layers = node.root / "overlay"
    layers.mkdir(parents=True, exist_ok=True)
    node.log_dir.mkdir(parents=True, exist_ok=True)
    log = node.log_dir / "overlay-holder.log"
    argv = node.netns_argv(
        ["unshare", "--mount", "--uts", "--propagation", "private", "--",
         "sh", "-c", _HOLDER, "pyhb-overlay",
         str(layers), str(node.etc_dir), str(node.var_lib_dir), str(node.run_dir), node.name]
    )  # fmt: skip
    with log.open("wb") as err:
        holder = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    node.processes.append(holder)
    # ip netns exec, unshare and sh all exec: the holder's pid ends up running sleep.
    deadline = time.monotonic() + timeout
    cmdline = Path(f"/proc/{holder.pid}/cmdline")
    while True:
        if holder.poll() is not None:
            text = log.read_text(errors="replace").strip()
            raise LabError(f"overlay root for node {node.name} failed: {text}")
        try:
            if cmdline.read_bytes().split(b"\0")[0] == b"sleep":
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise LabError(f"overlay root for node {node.name} not ready in {timeout} s")
        time.sleep(0.02)
    node.enter = [
        "nsenter", f"--target={holder.pid}", "--mount", "--uts", "--net", "--wd=/", "--"
    ]  # fmt: skip
    return layers
