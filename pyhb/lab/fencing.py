"""Fencing stand-ins for the lab: a power-off in place of ``reboot -nf`` and a STONITH
plugin that powers a namespace node off.

A lab node is a network namespace, so "powering it off" means killing every process in
that namespace and clearing what a reboot clears (the secondary addresses on its
interface, the test services' state files). Both scripts refuse to run in the host's
network namespace, so they can never kill the host's processes.

``POWER_OFF`` is what the lab gives daemons as ``PYHB_REBOOT_COMMAND``: the node powers
itself off. ``STONITH_PLUGIN`` is a cluster-glue ``external/`` plugin (``gethosts``,
``reset``, ``status``, ``getconfignames``, ``getinfo-*``; parameters arrive as environment
variables, here ``labdir``): ``reset HOST`` powers off the node whose network namespace
is named in ``$labdir/HOST.netns`` (``net:[inode]``, as ``/proc/PID/ns/net`` reads) and
whose private /var/lib/heartbeat is ``$labdir/HOST.varlib``. ``$labdir/fail`` holds a
count of resets still to refuse (to test retries); every call is appended to
``$labdir/calls.log``. Imports stdlib and ``pyhb.lab`` only.
"""

from __future__ import annotations

import os
from pathlib import Path

from pyhb.lab.netns import Lab, Node

PLUGIN_NAME = "pyhb-lab"
STONITH_TYPE = f"external/{PLUGIN_NAME}"
EXTERNAL_PLUGIN_DIR = "/usr/lib/stonith/plugins/external"

_KILL_NETNS = """
kill_netns() {  # every process whose network namespace reads $1, but this shell
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = "$$" ] && continue
    [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$1" ] && kill -9 "$pid" 2>/dev/null
  done
  return 0
}
"""

POWER_OFF = (
    """#!/bin/sh
# Lab stand-in for "reboot -nf": records the call, then powers this namespace node off.
me=$(readlink /proc/self/ns/net)
if [ "$me" = "$(readlink /proc/1/ns/net)" ]; then
  echo "refusing to power off the host's network namespace" >&2; exit 1
fi
echo "$(date +%s.%N) reboot $*" >> /var/lib/heartbeat/poweroff.log
"""
    + _KILL_NETNS
    + """
kill_netns "$me"
ip -4 addr flush dev hb0 secondary 2>/dev/null
rm -f /var/lib/heartbeat/*.state
exit 0
"""
)

STONITH_PLUGIN = (
    """#!/bin/sh
# cluster-glue external STONITH plugin for the pyhb lab: powers a namespace node off.
calls="$labdir/calls.log"
echo "$(date +%s.%N) $(hostname) $*" >> "$calls"
"""
    + _KILL_NETNS
    + """
case "$1" in
gethosts)
  for f in "$labdir"/*.netns; do [ -e "$f" ] && basename "$f" .netns; done; exit 0;;
reset|off)
  host=$2
  [ -e "$labdir/$host.netns" ] || exit 1
  n=$(cat "$labdir/fail" 2>/dev/null || echo 0)
  if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$labdir/fail"; exit 1; fi
  target=$(cat "$labdir/$host.netns")
  [ "$target" = "$(readlink /proc/1/ns/net)" ] && exit 1
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$target" ]; then
      nsenter -t "${p#/proc/}" -n ip -4 addr flush dev hb0 secondary 2>/dev/null; break
    fi
  done
  kill_netns "$target"
  rm -f "$(cat "$labdir/$host.varlib")"/*.state
  echo "$(date +%s.%N) powered off $host" >> "$calls"
  exit 0;;
on|status) exit 0;;
getconfignames) echo labdir; exit 0;;
getinfo-devid) echo "pyhb lab"; exit 0;;
getinfo-devname) echo "pyhb lab power switch"; exit 0;;
getinfo-devdescr) echo "Powers off pyhb lab nodes (network namespaces)"; exit 0;;
getinfo-devurl) echo "https://example.invalid/pyhb-lab"; exit 0;;
getinfo-xml)
  cat <<EOF
<parameters>
<parameter name="labdir" unique="1" required="1">
<content type="string" />
<shortdesc lang="en">lab directory</shortdesc>
<longdesc lang="en">Directory naming each node's network namespace</longdesc>
</parameter>
</parameters>
EOF
  exit 0;;
esac
exit 1
"""
)


def install_power_off(node: Node) -> str:
    """Write the power-off script into the node; returns the command the node runs."""
    path = node.var_lib_dir / "pyhb-lab-poweroff"
    path.write_text(POWER_OFF)
    path.chmod(0o755)
    return "/bin/sh /var/lib/heartbeat/pyhb-lab-poweroff"


def netns_id(node: Node) -> str:
    """The node's network namespace as ``/proc/PID/ns/net`` reads it."""
    return f"net:[{os.stat(f'/run/netns/{node.ns}').st_ino}]"


def install_stonith(lab: Lab, labdir: Path, fencers: tuple[str, ...]) -> None:
    """Make ``external/pyhb-lab`` able to power off every lab node, as seen by the
    ``fencers``: the plugin directory is bind-mounted over cluster-glue's external plugin
    directory in those nodes' private mount namespaces only (the host's is untouched)."""
    plugins = labdir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    plugin = plugins / PLUGIN_NAME
    plugin.write_text(STONITH_PLUGIN)
    plugin.chmod(0o755)  # cluster-glue skips a plugin writable by group or others
    for node in lab.nodes.values():
        (labdir / f"{node.name}.netns").write_text(netns_id(node))
        (labdir / f"{node.name}.varlib").write_text(str(node.var_lib_dir))
    for name in fencers:
        node = lab[name]
        node.private_dirs = (*node.private_dirs, (EXTERNAL_PLUGIN_DIR, str(plugins)))


def stonith_calls(labdir: Path) -> list[str]:
    """The plugin's calls, one line each (``<time> <hostname> ACTION [HOST]``)."""
    path = labdir / "calls.log"
    return path.read_text().splitlines() if path.exists() else []
