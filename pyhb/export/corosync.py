"""A corosync.conf (Corosync 3, knet) for the nodes of ha.cf.

Ring addresses cannot be read from ha.cf alone (bcast and mcast carry none, and ucast
lines do not say which address is whose), so each node's addresses come from
``--addr NODE=IP[,IP...]`` (one knet link per address); a node given none is written with
its name as ``ring0_addr``, for corosync to resolve. ``token`` follows ``deadtime``:
corosync declares a node lost after token + consensus (1.2 x token), so
token = deadtime / 2.2. Imports stdlib, ``pyhb.config`` and ``export.model``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyhb.config.model import ClusterConfig, Mcast, Ucast
from pyhb.export.model import ExportError, issue

MIN_TOKEN_MS = 300


def parse_addrs(items: Sequence[str], nodes: Sequence[str]) -> dict[str, list[str]]:
    """``NODE=IP[,IP...]`` options -> {node: [addresses]}; unknown nodes are errors."""
    result: dict[str, list[str]] = {}
    problems = []
    for item in items:
        node, sep, addrs = item.partition("=")
        node = node.strip().lower()
        if not sep or not addrs or node not in nodes:
            problems.append(
                issue(
                    "--addr",
                    0,
                    f"{item!r}: expected NODE=IP[,IP...] with NODE one of {', '.join(nodes)}",
                )
            )
            continue
        result[node] = [a for a in addrs.split(",") if a]
    if problems:
        raise ExportError(problems)
    return result


def render_corosync(
    config: ClusterConfig, addrs: Mapping[str, Sequence[str]], cluster_name: str = "pyhb"
) -> str:
    """corosync.conf text for ``config``'s nodes."""
    ha = config.ha
    token = max(MIN_TOKEN_MS, round(ha.deadtime / 2.2))
    links = max((len(addrs.get(n, ())) for n in ha.node), default=0) or 1
    short = [n for n in ha.node if 0 < len(addrs.get(n, ())) < links]
    if short:
        raise ExportError(
            [
                issue(
                    "--addr",
                    0,
                    f"node(s) {', '.join(short)} have fewer "
                    f"addresses than the {links} links of the others",
                )
            ]
        )
    crypto = config.authkeys.outbound.method.keyed
    out = [
        "# corosync.conf exported by pyhb from " + str(config.confdir / "ha.cf"),
        "# Copy it to /etc/corosync/corosync.conf on every node.",
    ]
    if crypto:
        out.append(
            "# Heartbeat's authkeys do not carry over: run corosync-keygen once and "
            "copy /etc/corosync/authkey (mode 0400) to every node."
        )
    else:
        out.append(
            "# authkeys uses crc (no authentication), so neither does this; consider "
            "crypto_cipher aes256 / crypto_hash sha256 with corosync-keygen."
        )
    media = sorted({m.iface for m in ha.media})
    if len(media) > links:
        out.append(
            f"# ha.cf has {len(media)} media interfaces ({', '.join(media)}) but "
            f"{links} link(s) here: give --addr NODE=IP1,IP2 for more."
        )
    ucast = sorted({m.peer for m in ha.media if isinstance(m, Ucast)})
    if ucast and not addrs:
        out.append(f"# ha.cf's ucast peers: {', '.join(ucast)}; say whose is whose with --addr.")
    if any(isinstance(m, Mcast) for m in ha.media):
        out.append("# ha.cf used multicast; knet sends unicast to the addresses below.")
    out += [
        "totem {",
        "\tversion: 2",
        f"\tcluster_name: {cluster_name}",
        "\ttransport: knet",
        f"\t# ha.cf deadtime {ha.deadtime} ms: token + consensus (1.2 x token) = deadtime",
        f"\ttoken: {token}",
        f"\tcrypto_cipher: {'aes256' if crypto else 'none'}",
        f"\tcrypto_hash: {'sha256' if crypto else 'none'}",
        "}",
        "",
        "nodelist {",
    ]
    for nodeid, node in enumerate(ha.node, start=1):
        ring = list(addrs.get(node, ())) or [node]
        out += ["\tnode {", f"\t\tname: {node}", f"\t\tnodeid: {nodeid}"]
        out += [f"\t\tring{i}_addr: {addr}" for i, addr in enumerate(ring)]
        out.append("\t}")
    out += ["}", "", "quorum {", "\tprovider: corosync_votequorum"]
    if len(ha.node) == 2:
        out.append("\ttwo_node: 1")
    out += [
        "}",
        "",
        "logging {",
        "\tto_logfile: yes",
        "\tlogfile: /var/log/corosync/corosync.log",
        "\tto_syslog: yes",
        "\ttimestamp: on",
        "}",
    ]
    return "\n".join(out) + "\n"
