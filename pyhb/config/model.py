"""Frozen, typed configuration: what ha.cf, authkeys and haresources say, once parsed.

Field names equal ha.cf directive names. Durations are integer milliseconds. The defaults
of ``HaConfig`` are the directive table's (``config.directives``): what heartbeat records
for an absent directive, read by the directive's own converter, and the values derived
from them (warntime, initdead, deadping). ``node_key`` and ``AutoFailback`` are
``config.units``'s. Imports stdlib, ``config.directives``, ``config.units``,
``config.fencing`` and ``config.monitors`` (pyhb.cf's settings) only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from pyhb.config.directives import (
    default_deadping,
    default_initdead,
    default_of,
    default_warntime,
)
from pyhb.config.fencing import Fencing
from pyhb.config.monitors import PyhbSettings
from pyhb.config.units import AutoFailback as AutoFailback  # noqa: PLC0414 - re-exported
from pyhb.config.units import node_key as node_key  # noqa: PLC0414 - re-exported

DEFAULT_UDPPORT = 694


@dataclass(frozen=True, slots=True)
class _OnInterface:
    """What every medium has first: the interface it goes out of."""

    iface: str

    @property
    def name(self) -> str:
        """The link name heartbeat shows for this medium (the interface)."""
        return self.iface


@dataclass(frozen=True, slots=True)
class Bcast(_OnInterface):
    """``bcast IFACE``: UDP broadcast to the interface's broadcast address."""

    port: int
    line: int = 0


@dataclass(frozen=True, slots=True)
class Ucast(_OnInterface):
    """``ucast IFACE PEER``: UDP unicast to PEER out of IFACE."""

    peer: str
    port: int
    line: int = 0


@dataclass(frozen=True, slots=True)
class Mcast(_OnInterface):
    """``mcast IFACE GROUP PORT TTL LOOP``: UDP multicast."""

    group: str
    port: int
    ttl: int
    loop: bool
    line: int = 0


Medium = Bcast | Ucast | Mcast


@dataclass(frozen=True, slots=True)
class PingNode:
    """``ping ADDR`` (one node per address) or ``ping_group NAME ADDR...``: a pseudo-node
    of type ``ping``, alive while any of its addresses answers ICMP echo (docs/pingnodes.md)."""

    name: str
    addresses: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True, slots=True)
class RespawnClient:
    """``respawn USER PROGRAM [ARGS...]``: a program run as USER once communication is
    up, restarted when it exits (docs/pingnodes.md). ``command`` is the text after USER."""

    user: str
    command: str
    line: int = 0

    @property
    def program(self) -> str:
        return self.command.split()[0]


@dataclass(frozen=True, slots=True)
class ApiAuth:
    """One ``apiauth CLIENT uid=... gid=...`` line: the user and group names (or numbers)
    allowed to sign on to the client API as CLIENT (docs/api.md)."""

    client: str
    uids: tuple[str, ...]
    gids: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True, slots=True)
class HaConfig:
    """The effective ha.cf settings.

    ``params`` keeps every recorded directive's raw text exactly as written (or the
    recorded default), which is what ``cl_status hbparameter`` and the ``HA_<name>``
    environment of scripts show.
    """

    node: tuple[str, ...]
    keepalive: int = default_of("keepalive", int)
    deadtime: int = default_of("deadtime", int)
    warntime: int = default_warntime(default_of("deadtime", int))
    initdead: int = default_initdead(default_of("deadtime", int))
    udpport: int = DEFAULT_UDPPORT
    media: tuple[Medium, ...] = ()
    auto_failback: AutoFailback = default_of("auto_failback", AutoFailback)
    logfile: str | None = None
    debugfile: str | None = None
    logfacility: str | None = None
    use_logd: bool = False
    debug: int = default_of("debug", int)
    msgfmt: str = default_of("msgfmt", str)
    hopfudge: int = default_of("hopfudge", int)
    max_rexmit_delay: int = default_of("max_rexmit_delay", int)
    log_badpack: bool = default_of("log_badpack", bool)
    syslogmsgfmt: bool = default_of("syslogmsgfmt", bool)
    hbgenmethod: str = default_of("hbgenmethod", str)
    uuidfrom: str = default_of("uuidfrom", str)
    pacemaker: bool = default_of("pacemaker", bool)
    env: tuple[tuple[str, str], ...] = ()
    deadping: int = default_deadping(default_of("deadtime", int))
    ping_nodes: tuple[PingNode, ...] = ()
    respawn: tuple[RespawnClient, ...] = ()
    fencing: Fencing = Fencing()  # stonith, stonith_host, watchdog (config.fencing)
    params: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    apiauth: tuple[ApiAuth, ...] = ()


class AuthMethod(enum.StrEnum):
    """The digest an authkeys key signs with (``auth`` lines, docs/authkeys.md)."""

    CRC = "crc"
    MD5 = "md5"
    SHA1 = "sha1"

    @property
    def keyed(self) -> bool:
        """Whether the method takes a secret key: md5 and sha1 do; crc does not, so
        anyone can sign with it."""
        return self is not AuthMethod.CRC


@dataclass(frozen=True, slots=True)
class AuthKey:
    """One ``N METHOD [SECRET]`` line of authkeys."""

    index: int
    method: AuthMethod
    key: bytes  # empty for crc


@dataclass(frozen=True, slots=True)
class AuthKeys:
    """All keys of authkeys; ``active`` is the index outbound packets are signed with."""

    active: int
    keys: tuple[AuthKey, ...]

    def get(self, index: int) -> AuthKey | None:
        """The key with this index, or None."""
        for k in self.keys:
            if k.index == index:
                return k
        return None

    @property
    def outbound(self) -> AuthKey:
        key = self.get(self.active)
        if key is None:  # the parser guarantees the active key exists
            raise LookupError(self.active)
        return key

    def accepts(self, index: int) -> bool:
        """Whether packets signed with key ``index`` are accepted on input.

        The active key, and the other keyed (md5/sha1) keys so that a cluster can rotate
        keys one node at a time (docs/authkeys.md). Never a crc key that is not the active
        one: crc takes no secret, so anyone could sign with it.
        """
        key = self.get(index)
        if key is None:
            return False
        return index == self.active or key.method.keyed


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """One haresources resource: ``name::arg1::arg2``; ``text`` is the word as written
    (after the bare-IP shorthand was expanded to ``IPaddr::...``)."""

    name: str
    args: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class ResourceGroup:
    """One haresources line: the preferred node, then resources started left to right.

    ``key`` is the first resource's word as written in the file; it names the group on
    the wire (``ipaddr=`` of ip-request) and in logs.
    """

    node: str
    resources: tuple[ResourceRef, ...]
    key: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Everything the daemon needs from the configuration directory."""

    confdir: Path
    local_node: str
    ha: HaConfig
    authkeys: AuthKeys
    groups: tuple[ResourceGroup, ...]
    pyhb: PyhbSettings = field(default_factory=PyhbSettings)  # pyhb.cf (docs/monitoring.md)

    @property
    def peers(self) -> tuple[str, ...]:
        """Configured nodes other than the local one, in ha.cf order."""
        return tuple(n for n in self.ha.node if node_key(n) != node_key(self.local_node))
