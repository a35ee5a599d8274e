"""``cl_status``: Heartbeat 3.0.6's status tool, byte for byte, over pyhb's control socket.

Output text, stream (stdout, plain stderr, or heartbeat's log format on stderr) and exit
codes follow the captures of the real tool (tests/data/cli/): 0 ok, 1 "normal" failure
(node or link down, daemon not running, unknown parameter), 11 bad sub-command or
arguments, 12 timeout, 13 other errors. Options are parsed like glibc ``getopt`` after the
sub-command word (options and operands may be mixed). As in 3.0.6 the daemon is asked
first and the arguments checked afterwards, so with the daemon down every known
sub-command fails the same way.

pyhb additions: an optional leading ``--run-dir DIR`` (default ``$PYHB_RUN_DIR`` or
/run/heartbeat) picks the daemon. Imports ``cli.glibc_getopt``, ``control.client``,
``control.protocol``, ``core.snapshot`` and ``config.model`` only.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from pyhb.cli.glibc_getopt import getopt
from pyhb.config.model import node_key
from pyhb.control.client import (
    ControlClient,
    ControlTimeout,
    DaemonNotRunning,
    socket_path,
    split_run_dir,
)
from pyhb.control.protocol import ControlError
from pyhb.core.snapshot import NodeView, Snapshot

OK, NORMAL_FAIL, PARAMETER_ERROR, TIMEOUT, UNKNOWN_ERROR = 0, 1, 11, 12, 13

#: The reason 3.0.6 gives when nothing listens on its API socket (scripts grep it).
SIGNON_FAILED = "hb_api_signon: Can't initiate connection to heartbeat"

HELP = (
    "Usage: cl_status <sub-command> [<options>] [<parameters>]\n"
    "\n"
    "Sub-commands:\n"
    "clientstatus <node-name> <client-id> [<timeout>]\n"
    "\tShow the status of heartbeat clients.\n"
    "hblinkstatus <node-name> <link-name>\n"
    "\tShow the status of a heartbeat link\n"
    "hbstatus\n"
    "\tIndicate if heartbeat is running on the local system.\n"
    "\tOptions:\n"
    '\t\t-v\tverbose: also add "listnodes -v" output\n'
    "listnodes [<option>]\n"
    "\tList the nodes in the cluster.\n"
    "\tOptions:\n"
    "\t\t-p\tlist only 'ping' type nodes\n"
    "\t\t-n\tlist only 'normal' type nodes\n"
    "\t\t-v\tverbose: also list type and status,\n"
    '\t\t\tthen add "listhblinks -v" output\n'
    "listhblinks <node-name>\n"
    "\tList the network interfaces used as hearbeat links.\n"
    "\tOptions:\n"
    "\t\t-v\tverbose: list link status as well\n"
    "nodestatus <node-name>\n"
    "\tList the node status.\n"
    "nodeweight <node-name>\n"
    "\tList the node weight.\n"
    "nodesite <node-name>\n"
    "\tList the node site.\n"
    "nodetype <node-name>\n"
    "\tList the nodes of a given type.\n"
    "rscstatus\n"
    "\tShow the status of cluster resources.\n"
    "hbparameter -p <parameter-name>\n"
    "\tRetrieve the value of a cluster parameter.\n"
    "\tAs for the valid parameter names, please refer to the man page.\n"
)

#: What 3.0.6 logs for a bad option (``_simple_opts`` has its own wording).
BAD_OPTION = "Error: getopt returnedcharacter code ?."

DEFAULT_WEIGHT = 100  # pyhb keeps no per-node weight/site: 3.0.6's defaults
DEFAULT_SITE = ""


def log_error(text: str) -> None:
    """One stderr line in heartbeat's log format (``Mon DD HH:MM:SS HOST cl_status: ...``)."""
    stamp = time.strftime("%b %d %H:%M:%S")
    sys.stderr.write(f"{stamp} {os.uname().nodename} cl_status: [{os.getpid()}]: ERROR: {text}\n")


def _out(text: str) -> None:
    sys.stdout.write(text)


class Status:
    """One cl_status run: the snapshot, the human-readable flag, the sub-command's args."""

    def __init__(self, sub: str, args: list[str], snap: Snapshot | None, reason: str) -> None:
        self.sub = sub
        self.args = args
        self.snap = snap
        self.reason = reason
        self.human = False  # -m; global in 3.0.6, so it also shapes the -v listings
        self.operands: list[str] = []

    def _node(self, name: str) -> NodeView | None:
        assert self.snap is not None
        key = node_key(name)  # any letter case, as heartbeat's API
        return next((n for n in self.snap.nodes if node_key(n.name) == key), None)

    def _options(self, optstring: str, bad: str = BAD_OPTION) -> list[str] | None:
        """Parse the options: ``-m`` sets ``human``; the others in order, or None after
        logging ``bad`` at the first bad one."""
        others: list[str] = []
        for opt in getopt(self.sub, self.args, optstring, self.operands):
            if opt == "?":
                log_error(bad)
                return None
            if opt == "m":
                self.human = True
            else:
                others.append(opt)
        return others

    def _simple_opts(self) -> bool:
        """Parse ``-m`` only; False (after logging) on a bad option."""
        return self._options("m", "Error: getopt returnedcharacter ?.") is not None

    # -- sub-commands --------------------------------------------------------------------

    def hbstatus(self) -> int:
        verbose = False
        for opt in getopt(self.sub, self.args, "mv", self.operands):
            if opt == "m":
                self.human = True
            elif opt == "v":
                verbose = True
        if self.snap is None:
            stopped = not self.reason or self.reason == SIGNON_FAILED
            if stopped:
                _out("Heartbeat is stopped on this machine.\n")
            else:
                _out("Heartbeat is apparently running on this machine, but refuses my connection\n")
            if verbose and self.reason:
                _out(f"({self.reason})\n")
            return NORMAL_FAIL if stopped else OK
        if not verbose:
            _out("Heartbeat is running on this machine.\n")
            return OK
        version = self.snap.params.get("hbversion")
        haresources = self.snap.managed_by == "haresources"
        if self.human:
            _out(
                f"Heartbeat version {version}\n"
                if version
                else "Heartbeat is running on this machine.\n"
            )
            _out(
                'Resources controlled by "haresources"\n'
                if haresources
                else "Resources controlled by Pacemaker.\n"
            )
        else:
            _out(f"version:\t{version or 'unknown'}\n")
            _out(
                'managed by:\t"haresources"\n'
                if haresources
                else f"managed by:\tpacemaker\t({self.snap.managed_by})\n"
            )
        self._listnodes(normal=False, ping=False, verbose=True)
        return OK

    def listnodes(self) -> int:
        flags = self._options("mpnv")
        if flags is None:
            return PARAMETER_ERROR
        return self._listnodes("n" in flags, "p" in flags, "v" in flags)

    def _listnodes(self, normal: bool, ping: bool, verbose: bool) -> int:
        assert self.snap is not None
        if normal and ping:
            normal = ping = False
        if self.human:
            _out("The nodes are as follow:\n")
        for node in self.snap.nodes:
            if (normal and node.type != "normal") or (ping and node.type != "ping"):
                continue
            if verbose:
                _out(f"\n{node.name}\t{node.status}\t(nodetype: {node.type})\n")
                self._listhblinks(node, verbose=True)
            else:
                _out(f"{node.name}\n")
        return OK

    def _listhblinks(self, node: NodeView, verbose: bool) -> None:
        if self.human:
            _out("\tthis node has the following heartbeat links:\n")
        for link in node.links:
            _out(f"\t{link.name}\t{link.status}\n" if verbose else f"\t{link.name}\n")

    def listhblinks(self) -> int:
        flags = self._options("mv")
        if flags is None:
            return PARAMETER_ERROR
        if not self.operands:
            sys.stderr.write("No enough parameter.\n")
            return PARAMETER_ERROR
        node = self._node(self.operands[0])
        if node is None:
            log_error("Cannot start heartbeat link interface walk.")
            log_error("REASON: ")
            return UNKNOWN_ERROR
        self._listhblinks(node, verbose="v" in flags)
        return OK

    def _one_node(self, not_enough: str, unknown: str) -> NodeView | int:
        """Options, then the NODE operand: the node, or the exit code after the message."""
        if not self._simple_opts():
            return PARAMETER_ERROR
        if not self.operands:
            sys.stderr.write(f"{not_enough}\n")
            return PARAMETER_ERROR
        node = self._node(self.operands[0])
        if node is None:
            sys.stderr.write(f"{unknown}\n")
            return PARAMETER_ERROR
        return node

    def _two_operands(self) -> list[str] | None:
        """Options, then NODE and a link or client name: the two, or None after the message."""
        if not self._simple_opts():
            return None
        if len(self.operands) < 2:
            sys.stderr.write("No enough parameter.\n")
            return None
        return self.operands[:2]

    def node_query(self) -> int:
        """``nodestatus``, ``nodeweight``, ``nodesite``, ``nodetype``: see ``NODE_QUERIES``."""
        query = NODE_QUERIES[self.sub]
        node = self._one_node(query.not_enough, query.unknown)
        if isinstance(node, int):
            return node
        value = str(query.value(node))
        _out(query.sentence.format(name=node.name, value=value) if self.human else f"{value}\n")
        return OK if query.ok is None or value in query.ok else NORMAL_FAIL

    def hblinkstatus(self) -> int:
        operands = self._two_operands()
        if operands is None:
            return PARAMETER_ERROR
        name, link_name = operands
        node = self._node(name)
        link = next((li for li in node.links if li.name == link_name), None) if node else None
        if link is None:
            log_error("Cannot get heartbeat link status")
            log_error("REASON: ")
            return UNKNOWN_ERROR
        st = str(link.status)
        _out(f"The node {name}'s heartbeat link {link_name} is {st}\n" if self.human else f"{st}\n")
        return OK if st == "up" else NORMAL_FAIL

    def clientstatus(self) -> int:
        # pyhb runs no API clients. 3.0.6 answers "offline" for an unknown client on the
        # local node and times out ("No timely response.", 13) when asking a peer.
        assert self.snap is not None
        operands = self._two_operands()
        if operands is None:
            return PARAMETER_ERROR
        node, client = operands
        if node_key(node) == node_key(self.snap.local_node):
            _out("offline\n")
            return NORMAL_FAIL
        log_error(f"Cannot get heartbeat client {client}'s status")
        log_error("REASON: No timely response.")
        return UNKNOWN_ERROR

    def rscstatus(self) -> int:
        assert self.snap is not None
        if not self._simple_opts():
            return PARAMETER_ERROR
        if self.snap.managed_by != "haresources":
            log_error("Cannot get cluster resource status of a pacemaker cluster; try crm_mon")
            return NORMAL_FAIL
        rsc = self.snap.rscstatus
        _out(f"This node is holding {rsc} resources.\n" if self.human else f"{rsc}\n")
        return OK

    def hbparameter(self) -> int:
        assert self.snap is not None
        flags = self._options("mp:")
        if flags is None:
            return PARAMETER_ERROR
        name = flags[-1][2:] if flags else None  # "p=NAME"; the last -p counts
        if name is None:
            log_error("parameter name required")
            return PARAMETER_ERROR
        value = self.snap.params.get(name)
        if value is None:
            log_error(f"Cannot get parameter {name}'s value")
            log_error("REASON: ")
            return NORMAL_FAIL
        _out(f"Heartbeat parameter {name}'s value: {value}\n" if self.human else f"{value}\n")
        return OK

    def test(self) -> int:
        assert self.snap is not None
        params = self.snap.params
        _out(
            f"Dead time: {_ms(params.get('deadtime'))}\n"
            f" keeplive time: {_ms(params.get('keepalive'))}\n"
            f" mynodeid: {self.snap.local_node}\n rsc: {self.snap.rscstatus}\n"
        )
        return OK


def _ms(raw: str | None) -> int:
    """A heartbeat time value (``5``, ``200ms``, ``1.5``, ``500us``) in whole ms; 0 if unset."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|us|s)?\S*\s*", raw or "")
    if m is None:
        return 0
    factor = {"ms": 1.0, "us": 0.001}.get(m.group(2) or "", 1000.0)
    return int(float(m.group(1)) * factor)


class NodeQuery(NamedTuple):
    """A sub-command that shows one value of one node, with 3.0.6's messages."""

    not_enough: str  # no NODE operand
    unknown: str  # no such node
    sentence: str  # the -m output, with {name} and {value}
    value: Callable[[NodeView], object]
    ok: frozenset[str] | None = None  # the values that exit 0 (None: any)


def _shown_status(node: NodeView) -> str:
    """A node's status as ``nodestatus`` shows it: a live ping node is ``ping``."""
    status = str(node.status)
    return "ping" if node.type == "ping" and status != "dead" else status


_MAY_BE = "Error. May be due to incorrect node name"

NODE_QUERIES = {
    "nodestatus": NodeQuery(
        "Not enough parameters.", _MAY_BE, "The cluster node {name} is {value}\n",
        _shown_status, frozenset({"active", "up", "ping"}),
    ),
    "nodeweight": NodeQuery(
        "Not enough parameters.", "Error. Maybe due to incorrect node name.",
        "The weight of the cluster node {name} is {value}\n", lambda _node: DEFAULT_WEIGHT,
    ),
    "nodesite": NodeQuery(
        "Not enough parameters.", _MAY_BE, "The site of the cluster node {name} is {value}\n",
        lambda _node: DEFAULT_SITE,
    ),
    "nodetype": NodeQuery(
        "No enough parameter.", _MAY_BE, "The node {name}'s type: {value}\n",
        lambda node: node.type,
    ),
}  # fmt: skip

#: Sub-command -> (method, whether it needs the daemon).
COMMANDS: dict[str, tuple[Callable[[Status], int], bool]] = {
    "hbstatus": (Status.hbstatus, False),
    "listnodes": (Status.listnodes, True),
    **{name: (Status.node_query, True) for name in NODE_QUERIES},
    "listhblinks": (Status.listhblinks, True),
    "hblinkstatus": (Status.hblinkstatus, True),
    "clientstatus": (Status.clientstatus, True),
    "rscstatus": (Status.rscstatus, True),
    "hbparameter": (Status.hbparameter, True),
    "test": (Status.test, True),
}


def main(argv: list[str] | None = None) -> int:
    """Run one cl_status sub-command; returns its exit code."""
    run_dir, args = split_run_dir(sys.argv[1:] if argv is None else argv)
    if not args or args == ["-h"]:
        _out(HELP)
        return OK
    entry = COMMANDS.get(args[0])
    if entry is None:
        log_error(f"{args[0]}: invalid sub-command.")
        return PARAMETER_ERROR
    method, needs_daemon = entry
    snap: Snapshot | None = None
    reason = ""
    try:
        snap = ControlClient(socket_path(run_dir)).snapshot()
    except ControlTimeout:
        return TIMEOUT  # 3.0.6's 5 s alarm exits silently
    except DaemonNotRunning:
        reason = SIGNON_FAILED
    except ControlError as exc:
        reason = str(exc)
    if snap is None and needs_daemon:
        log_error("Cannot signon with heartbeat")
        log_error(f"REASON: {reason}")
        return NORMAL_FAIL
    try:
        return method(Status(args[0], args[1:], snap, reason))
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
