"""``cl_status``: Heartbeat 3.0.6's status tool, byte for byte, over pyhb's control socket.

Output text, stream (stdout, plain stderr, or heartbeat's log format on stderr) and exit
codes follow the captures of the real tool (tests/data/cli/): 0 ok, 1 "normal" failure
(node or link down, daemon not running, unknown parameter), 11 bad sub-command or
arguments, 12 timeout, 13 other errors. Options are parsed like glibc ``getopt`` after the
sub-command word (options and operands may be mixed). As in 3.0.6 the daemon is asked
first and the arguments checked afterwards, so with the daemon down every known
sub-command fails the same way.

pyhb additions: an optional leading ``--run-dir DIR`` (default ``$PYHB_RUN_DIR`` or
/run/heartbeat) picks the daemon. Imports ``control.client``, ``control.protocol``,
``core.snapshot`` and ``config.model`` only.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator

from pyhb.config.model import node_key
from pyhb.control.client import (
    ControlClient,
    ControlTimeout,
    DaemonNotRunning,
    socket_path,
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

DEFAULT_WEIGHT = 100  # pyhb keeps no per-node weight/site: 3.0.6's defaults
DEFAULT_SITE = ""


def log_error(text: str) -> None:
    """One stderr line in heartbeat's log format (``Mon DD HH:MM:SS HOST cl_status: ...``)."""
    stamp = time.strftime("%b %d %H:%M:%S")
    sys.stderr.write(f"{stamp} {os.uname().nodename} cl_status: [{os.getpid()}]: ERROR: {text}\n")


def _out(text: str) -> None:
    sys.stdout.write(text)


def getopt(prog: str, args: list[str], optstring: str, operands: list[str]) -> Iterator[str]:
    """glibc-style ``getopt`` with argument permutation.

    Yields each option letter (``"p=NAME"`` for an option with an argument, ``"?"`` after
    printing glibc's message for a bad one) and appends the operands to ``operands``.
    """
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            operands.extend(args[i:])
            return
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            continue
        j = 1
        while j < len(arg):
            ch = arg[j]
            j += 1
            pos = optstring.find(ch)
            if ch == ":" or pos < 0:
                sys.stderr.write(f"{prog}: invalid option -- '{ch}'\n")
                yield "?"
                continue
            if optstring[pos + 1 : pos + 2] != ":":
                yield ch
                continue
            if j < len(arg):
                value, j = arg[j:], len(arg)
            elif i < len(args):
                value, i = args[i], i + 1
            else:
                sys.stderr.write(f"{prog}: option requires an argument -- '{ch}'\n")
                yield "?"
                continue
            yield f"{ch}={value}"


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

    def _simple_opts(self, code_word: str = "character") -> bool:
        """Parse ``-m`` only; False (after logging) on a bad option."""
        for opt in getopt(self.sub, self.args, "m", self.operands):
            if opt == "?":
                log_error(f"Error: getopt returned{code_word} ?.")
                return False
            self.human = True
        return True

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
        flags = set()
        for opt in getopt(self.sub, self.args, "mpnv", self.operands):
            if opt == "?":
                log_error("Error: getopt returnedcharacter code ?.")
                return PARAMETER_ERROR
            flags.add(opt)
        self.human = self.human or "m" in flags
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
        verbose = False
        for opt in getopt(self.sub, self.args, "mv", self.operands):
            if opt == "?":
                log_error("Error: getopt returnedcharacter code ?.")
                return PARAMETER_ERROR
            if opt == "m":
                self.human = True
            else:
                verbose = True
        if not self.operands:
            sys.stderr.write("No enough parameter.\n")
            return PARAMETER_ERROR
        node = self._node(self.operands[0])
        if node is None:
            log_error("Cannot start heartbeat link interface walk.")
            log_error("REASON: ")
            return UNKNOWN_ERROR
        self._listhblinks(node, verbose)
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

    def nodestatus(self) -> int:
        node = self._one_node("Not enough parameters.", "Error. May be due to incorrect node name")
        if isinstance(node, int):
            return node
        status = str(node.status)
        if node.type == "ping" and status != "dead":
            status = "ping"
        _out(f"The cluster node {node.name} is {status}\n" if self.human else f"{status}\n")
        return OK if status in {"active", "up", "ping"} else NORMAL_FAIL

    def nodeweight(self) -> int:
        node = self._one_node("Not enough parameters.", "Error. Maybe due to incorrect node name.")
        if isinstance(node, int):
            return node
        w = DEFAULT_WEIGHT
        _out(f"The weight of the cluster node {node.name} is {w}\n" if self.human else f"{w}\n")
        return OK

    def nodesite(self) -> int:
        node = self._one_node("Not enough parameters.", "Error. May be due to incorrect node name")
        if isinstance(node, int):
            return node
        s = DEFAULT_SITE
        _out(f"The site of the cluster node {node.name} is {s}\n" if self.human else f"{s}\n")
        return OK

    def nodetype(self) -> int:
        node = self._one_node("No enough parameter.", "Error. May be due to incorrect node name")
        if isinstance(node, int):
            return node
        _out(f"The node {node.name}'s type: {node.type}\n" if self.human else f"{node.type}\n")
        return OK

    def hblinkstatus(self) -> int:
        if not self._simple_opts():
            return PARAMETER_ERROR
        if len(self.operands) < 2:
            sys.stderr.write("No enough parameter.\n")
            return PARAMETER_ERROR
        name, link_name = self.operands[:2]
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
        if not self._simple_opts():
            return PARAMETER_ERROR
        if len(self.operands) < 2:
            sys.stderr.write("No enough parameter.\n")
            return PARAMETER_ERROR
        node, client = self.operands[:2]
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
        name: str | None = None
        for opt in getopt(self.sub, self.args, "mp:", self.operands):
            if opt == "?":
                log_error("Error: getopt returnedcharacter code ?.")
                return PARAMETER_ERROR
            if opt == "m":
                self.human = True
            else:
                name = opt[2:]
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


#: Sub-command -> (method, whether it needs the daemon).
COMMANDS: dict[str, tuple[Callable[[Status], int], bool]] = {
    "hbstatus": (Status.hbstatus, False),
    "listnodes": (Status.listnodes, True),
    "nodestatus": (Status.nodestatus, True),
    "nodeweight": (Status.nodeweight, True),
    "nodesite": (Status.nodesite, True),
    "nodetype": (Status.nodetype, True),
    "listhblinks": (Status.listhblinks, True),
    "hblinkstatus": (Status.hblinkstatus, True),
    "clientstatus": (Status.clientstatus, True),
    "rscstatus": (Status.rscstatus, True),
    "hbparameter": (Status.hbparameter, True),
    "test": (Status.test, True),
}


def _split_run_dir(args: list[str]) -> tuple[str | None, list[str]]:
    if args and args[0] == "--run-dir" and len(args) >= 2:
        return args[1], args[2:]
    if args and args[0].startswith("--run-dir="):
        return args[0].split("=", 1)[1], args[1:]
    return None, args


def main(argv: list[str] | None = None) -> int:
    """Run one cl_status sub-command; returns its exit code."""
    run_dir, args = _split_run_dir(sys.argv[1:] if argv is None else argv)
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
