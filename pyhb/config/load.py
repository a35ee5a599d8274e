"""Loading and checking a configuration directory: the body of ``pyhb.config``, whose
``__all__`` lists what of it is public."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyhb.config.agent_args import check_agent_args
from pyhb.config.authkeys import mode_issue, owner_issue, parse_authkeys
from pyhb.config.clients import check_clients
from pyhb.config.hacf import parse_hacf
from pyhb.config.haresources import parse_haresources
from pyhb.config.model import ClusterConfig, HaConfig, ResourceGroup, node_key
from pyhb.config.monitors import PyhbSettings
from pyhb.config.pyhbcf import FILE_NAME as PYHBCF
from pyhb.config.pyhbcf import parse_pyhbcf
from pyhb.config.source import (
    ConfigError,
    ConfigIssue,
    Severity,
    UnreadableFile,
    read_config_bytes,
    read_config_file,
)
from pyhb.config.validate import (
    check_apiauth,
    check_group_nodes,
    check_interfaces,
    check_scripts,
)
from pyhb.shipped import DEFAULT_CONFDIR as DEFAULT_CONFDIR  # noqa: PLC0414 - re-exported
from pyhb.shipped import resource_dirs as default_resource_dirs

log = logging.getLogger(__name__)

#: Checks of the media against this machine (interfaces, addresses), given by the layer
#: that opens sockets: (ha.cf settings, ha.cf path) -> issues.
MediaCheck = Callable[[HaConfig, str], list[ConfigIssue]]


class ConfigFileError(ConfigError):
    """A configuration file is missing or cannot be read; carries every issue found."""


@dataclass(frozen=True, slots=True)
class _File:
    """A configuration file as read: its path as issues name it, its text, mode and owner."""

    shown: str
    text: str
    mode: int
    uid: int


@dataclass(slots=True)
class _Reader:
    """Reads the files of one configuration, noting each that cannot be read."""

    issues: list[ConfigIssue] = field(default_factory=list)
    unreadable: bool = False

    def read(self, path: Path) -> _File | None:
        """The file's text, or None (the reason noted as an error of the file)."""
        shown = str(path)
        try:
            data, info = read_config_file(shown)
        except UnreadableFile as exc:
            self.issues.append(ConfigIssue(shown, 0, Severity.ERROR, f"cannot read {shown}: {exc}"))
            self.unreadable = True
            return None
        text = data.decode("utf-8", "surrogateescape")
        return _File(shown, text, info.st_mode, info.st_uid)


def local_node_name(confdir: Path | str, node_name: str | None = None) -> str:
    """The local node's name, lower-cased: ``node_name`` if given, else the first line of
    CONFDIR/nodeinfo if present, else ``uname -n``."""
    return _local_node(Path(confdir), node_name)[0]


def _local_node(confdir: Path, node_name: str | None) -> tuple[str, str]:
    """(name, where the name came from)."""
    if node_name:
        return node_key(node_name.strip()), "the local node name was given explicitly"
    nodeinfo = confdir / "nodeinfo"
    try:
        data, _ = read_config_bytes(str(nodeinfo))
        first = data.decode(errors="replace").split("\n", 1)[0].strip()
    except UnreadableFile:
        first = ""
    if first:
        return node_key(first), f"the local node name comes from {nodeinfo}"
    return node_key(os.uname().nodename), "the local node name comes from uname -n"


def _collect(
    confdir: Path | str,
    node_name: str | None,
    resource_dirs: Sequence[Path] | None,
    interfaces: bool,
    media_check: MediaCheck | None = None,
) -> tuple[ClusterConfig | None, list[ConfigIssue], bool]:
    root = Path(confdir)
    local, origin = _local_node(root, node_name)
    dirs = tuple(resource_dirs) if resource_dirs is not None else default_resource_dirs(root)
    reader = _Reader()
    issues = reader.issues
    hacf_path = str(root / "ha.cf")

    ha = None
    if hacf := reader.read(root / "ha.cf"):
        ha, found = parse_hacf(hacf.text, hacf.shown, local, origin)
        issues += found

    keys = None
    if keyfile := reader.read(root / "authkeys"):
        refused = mode_issue(keyfile.shown, keyfile.mode)
        issues += [refused] if refused else []
        foreign = owner_issue(keyfile.shown, keyfile.uid, os.geteuid())
        issues += [foreign] if foreign else []
        keys, found = parse_authkeys(keyfile.text, keyfile.shown)
        issues += found

    groups = None
    if resfile := reader.read(root / "haresources"):
        groups, found = parse_haresources(resfile.text, resfile.shown)
        issues += found
        if ha is not None:
            issues += check_group_nodes(groups, resfile.shown, ha.node)
        issues += check_scripts(groups, resfile.shown, dirs)
        issues += check_agent_args(resfile.text, resfile.shown)

    settings = _pyhbcf(root, groups, reader)
    unreadable = reader.unreadable

    if ha is not None and (interfaces or media_check is not None):
        issues += check_clients(ha, hacf_path)
    if ha is not None and media_check is not None:
        issues += media_check(ha, hacf_path)
    elif ha is not None and interfaces:
        issues += check_interfaces(ha, hacf_path)
    if ha is not None:
        issues += check_apiauth(ha, hacf_path)
    if ha is None or keys is None or groups is None or _has_errors(issues):
        return None, issues, unreadable
    config = ClusterConfig(
        confdir=root, local_node=local, ha=ha, authkeys=keys, groups=groups, pyhb=settings
    )
    return config, issues, unreadable


def _pyhbcf(root: Path, groups: tuple[ResourceGroup, ...] | None, reader: _Reader) -> PyhbSettings:
    """pyhb.cf, optional (absent: no monitoring); checked against haresources."""
    path = root / PYHBCF
    if not path.exists() and not path.is_symlink():
        return PyhbSettings()
    file = reader.read(path)
    if file is None:
        return PyhbSettings()
    settings, found = parse_pyhbcf(file.text, file.shown, groups or ())
    reader.issues += found
    return settings


def _has_errors(issues: Sequence[ConfigIssue]) -> bool:
    return any(i.severity is Severity.ERROR for i in issues)


def check_config(
    confdir: Path | str = DEFAULT_CONFDIR,
    node_name: str | None = None,
    *,
    resource_dirs: Sequence[Path] | None = None,
    check_ifaces: bool = True,
    media_check: MediaCheck | None = None,
) -> list[ConfigIssue]:
    """Every issue of the configuration in ``confdir`` (errors and warnings), in file order.

    Raises ``ConfigFileError`` (with all issues) when a file cannot be read. The media are
    checked with ``media_check`` if given, else (``check_ifaces``) media naming interfaces
    absent from this machine give warnings.
    """
    _, issues, unreadable = _collect(confdir, node_name, resource_dirs, check_ifaces, media_check)
    if unreadable:
        raise ConfigFileError(issues)
    return issues


def load_config(
    confdir: Path | str = DEFAULT_CONFDIR,
    node_name: str | None = None,
    *,
    resource_dirs: Sequence[Path] | None = None,
    media_check: MediaCheck | None = None,
) -> ClusterConfig:
    """The configuration in ``confdir``, for the local node ``node_name`` (default: nodeinfo,
    else ``uname -n``). Warnings are logged; any error raises ``ConfigError`` (or
    ``ConfigFileError`` when a file cannot be read) carrying every issue. The media are
    checked against this machine only with ``media_check``."""
    config, issues, unreadable = _collect(confdir, node_name, resource_dirs, False, media_check)
    if unreadable:
        raise ConfigFileError(issues)
    if config is None:
        raise ConfigError(issues)
    for issue in issues:
        log.warning("%s", issue)
    return config
