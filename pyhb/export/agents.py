"""One haresources resource word -> the Pacemaker primitive that does the same job.

Heartbeat's v1 ``resource.d`` scripts are wrappers that call an OCF agent with their
``::`` arguments as ``OCF_RESKEY_*`` parameters; ``WRAPPERS`` holds those parameter names,
read from the wrappers themselves. IPaddr, IPaddr2 and bare addresses become
``ocf:heartbeat:IPaddr2``; an init script becomes ``lsb:NAME``; any other script in a
``resource.d`` directory runs under ``ocf:pyhb:haresource`` (``ocf/pyhb/haresource`` in
pyhb's files). A word that cannot be translated faithfully raises ``Untranslatable``
with the reason. A wrapper's name found only in an init directory is an init script.
``drbddisk`` is handled by ``plan`` (it becomes a promotable clone).
Imports stdlib, ``pyhb.agents`` (IPaddr's argument parser), ``pyhb.config.model``,
``pyhb.shipped`` and ``export.model``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pyhb.agents import names
from pyhb.agents.args import parse_ipaddr_arg
from pyhb.agents.base import UsageError
from pyhb.config.model import ResourceRef
from pyhb.export.model import Op, Primitive
from pyhb.shipped import find_script

Params = tuple[tuple[str, str], ...]


class Untranslatable(ValueError):
    """This resource word has no faithful Pacemaker equivalent (the message says why)."""


def _ops(monitor: str, timeout: str, start: str = "", stop: str = "") -> tuple[Op, ...]:
    return (
        Op("monitor", monitor, timeout),
        Op("start", "0s", start or timeout),
        Op("stop", "0s", stop or timeout),
    )


def _positional(names: Sequence[str], least: int) -> Callable[[tuple[str, ...]], Params]:
    """A mapper for wrappers that take ``least`` to ``len(names)`` positional arguments."""

    def mapper(args: tuple[str, ...]) -> Params:
        if not least <= len(args) <= len(names):
            count = f"{least}" if least == len(names) else f"{least} to {len(names)}"
            raise Untranslatable(f"takes {count} '::' argument(s), got {len(args)}")
        return tuple(zip(names, args, strict=False))

    return mapper


def _audible(args: tuple[str, ...]) -> Params:
    return (("nodelist", " ".join(args)),) if args else ()


def _was(args: tuple[str, ...]) -> Params:
    if len(args) > 1:
        raise Untranslatable(f"takes at most one '::' argument, got {len(args)}")
    if not args:
        return ()
    return (("port" if args[0].isdigit() else "config", args[0]),)


def _winpopup(args: tuple[str, ...]) -> Params:
    if len(args) > 1:
        raise Untranslatable(f"takes at most one '::' argument, got {len(args)}")
    return (("hostfile", args[0] if args else "hosts"),)


def _ids(args: tuple[str, ...]) -> Params:
    if len(args) not in (0, 3):
        raise Untranslatable(f"takes 0 or 3 '::' arguments, got {len(args)}")
    return tuple(zip(("informixdir", "informixserver", "onconfig"), args, strict=True))


def _ipv6(args: tuple[str, ...]) -> Params:
    if len(args) != 1:
        raise Untranslatable(f"takes one '::' argument, got {len(args)}")
    parts = args[0].split("/")
    names = ("ipv6addr", "cidr_netmask", "nic")
    return tuple((n, v) for n, v in zip(names, parts, strict=False) if v)


def _sendarp(args: tuple[str, ...]) -> Params:
    if len(args) != 1 or "/" not in args[0]:
        raise Untranslatable("takes one '::' argument IP/NIC")
    ip, _, nic = args[0].partition("/")
    return (("ip", ip), ("nic", nic))


def _filesystem(args: tuple[str, ...]) -> Params:
    if not 2 <= len(args) <= 4:
        raise Untranslatable(
            f"takes 2 to 4 '::' arguments (DEV::DIR[::TYPE[::OPTS]]), got {len(args)}"
        )
    device, directory = args[0], args[1]
    # Heartbeat mounts without -t when no type is given: the kernel and blkid detect it.
    fstype = args[2] if len(args) > 2 and args[2] else "auto"
    params = [("device", device), ("directory", directory), ("fstype", fstype)]
    if len(args) > 3 and args[3]:
        params.append(("options", args[3]))
    return tuple(params)


# Heartbeat resource.d wrapper -> (OCF type, parameter mapper, monitor interval, timeout).
WRAPPERS: dict[str, tuple[str, Callable[[tuple[str, ...]], Params], str, str]] = {
    "AudibleAlarm": ("AudibleAlarm", _audible, "30s", "20s"),
    "ICP": ("ICP", _positional(("driveid", "device"), 2), "30s", "20s"),
    "IPsrcaddr": ("IPsrcaddr", _positional(("ipaddress",), 1), "10s", "20s"),
    "IPv6addr": ("IPv6addr", _ipv6, "10s", "20s"),
    "LVM": ("LVM", _positional(("volgrpname",), 1), "10s", "30s"),
    "LinuxSCSI": ("LinuxSCSI", _positional(("scsi",), 1), "10s", "20s"),
    "MailTo": ("MailTo", _positional(("email", "subject"), 1), "10s", "10s"),
    "Raid1": ("Raid1", _positional(("raidconf", "raiddev"), 2), "10s", "60s"),
    "ServeRAID": ("ServeRAID", _positional(("serveraid", "mergegroup"), 2), "10s", "60s"),
    "WAS": ("WAS", _was, "10s", "120s"),
    "WinPopup": ("WinPopup", _winpopup, "10s", "10s"),
    "Xinetd": ("Xinetd", _positional(("service",), 1), "10s", "20s"),
    "apache": ("apache", _positional(("configfile",), 0), "10s", "40s"),
    "db2": ("db2", _positional(("instance",), 1), "20s", "120s"),
    "ids": ("ids", _ids, "20s", "60s"),
    "ldirectord": ("ldirectord", _positional(("configfile",), 0), "20s", "30s"),
    "portblock": ("portblock", _positional(("protocol", "portno", "action"), 3), "10s", "20s"),
    names.SENDARP: ("SendArp", _sendarp, "10s", "20s"),
    names.FILESYSTEM: ("Filesystem", _filesystem, "20s", "60s"),
}
# Words that look like scripts but cannot be carried over as they are.
REFUSED = {
    "OCF": "OCF:: resources read their parameters from an instance file under "
    "/etc/ha.d/conf/OCF; write that primitive by hand",
    "drbdupper": "stacked DRBD (drbdupper) has no faithful equivalent here; configure the "
    "stacked resource with ocf:linbit:drbd by hand",
    "hto-mapfuncs": "hto-mapfuncs is a shell library, not a resource",
}
HARESOURCE = ("ocf", "pyhb", "haresource")


def _ipaddr(ref: ResourceRef) -> Params:
    if len(ref.args) != 1:
        raise Untranslatable(
            f"takes one '::' argument IP[/CIDR[/NIC[/BROADCAST]]], got {len(ref.args)}"
        )
    try:
        spec = parse_ipaddr_arg(ref.args[0])
    except UsageError as exc:
        raise Untranslatable(str(exc)) from exc
    params = [("ip", spec.ip)]
    if spec.prefixlen is not None:
        params.append(("cidr_netmask", str(spec.prefixlen)))
    if spec.nic:
        params.append(("nic", spec.nic))
    if spec.broadcast:
        params.append(("broadcast", spec.broadcast))
    if spec.label:
        params.append(("iflabel", spec.label))
    return tuple(params)


_ID_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


def make_id(text: str) -> str:
    """``text`` as an XML ID Pacemaker accepts: letters, digits, ``_ . -``; starts with a
    letter or ``_``."""
    ident = _ID_BAD.sub("-", text).strip("-.") or "rsc"
    return ident if re.match(r"[A-Za-z_]", ident) else f"r-{ident}"


def _base_id(ref: ResourceRef, params: Params) -> str:
    values = dict(params)
    if names.is_address_agent(ref.name):
        return f"ip-{values['ip']}"
    if ref.name == names.FILESYSTEM:
        return f"fs-{values['directory'].strip('/') or 'root'}"
    return "-".join((ref.name, *ref.args)) if ref.args else ref.name


def primitive_for(
    ref: ResourceRef, resource_dirs: Sequence[Path], init_dirs: Sequence[Path]
) -> Primitive:
    """The primitive for one resource word (its id not yet made unique)."""
    name = ref.name
    if name in REFUSED:
        raise Untranslatable(REFUSED[name])
    if names.is_address_agent(name):
        params = _ipaddr(ref)
        note = "" if name == names.IPADDR2 else f"{ref.text}: IPaddr2 adds no NIC:N alias label"
        return Primitive(
            make_id(_base_id(ref, params)),
            "ocf",
            "IPaddr2",
            "heartbeat",
            params,
            _ops("10s", "20s"),
            ref.text,
            note,
        )
    if name == names.DELAY:
        if len(ref.args) > 2:
            raise Untranslatable(f"takes at most 2 '::' arguments, got {len(ref.args)}")
        start = ref.args[0] if ref.args else "10"
        stop = ref.args[1] if len(ref.args) > 1 else start
        try:
            longest = max(float(start), float(stop))
        except ValueError as exc:
            raise Untranslatable(f"delays must be numbers of seconds: {ref.text}") from exc
        # Heartbeat's Delay answers status at once; the OCF agent's monitor sleeps mondelay.
        params = (("startdelay", start), ("stopdelay", stop), ("mondelay", "0"))
        timeout = f"{int(longest) + 30}s"
        ops = (Op("monitor", "10s", timeout), Op("start", "0s", timeout), Op("stop", "0s", timeout))
        return Primitive(
            make_id(_base_id(ref, ())), "ocf", "Delay", "heartbeat", params, ops, ref.text
        )
    if name in WRAPPERS and find_script(name, resource_dirs) is not None:
        agent, mapper, interval, timeout = WRAPPERS[name]
        try:
            params = mapper(ref.args)
        except Untranslatable as exc:
            raise Untranslatable(f"{name} {exc}") from exc
        return Primitive(
            make_id(_base_id(ref, params)),
            "ocf",
            agent,
            "heartbeat",
            params,
            _ops(interval, timeout),
            ref.text,
        )
    return _script(ref, resource_dirs, init_dirs)


def _script(
    ref: ResourceRef, resource_dirs: Sequence[Path], init_dirs: Sequence[Path]
) -> Primitive:
    in_resource_d = find_script(ref.name, resource_dirs)
    if in_resource_d is None and find_script(ref.name, init_dirs) is not None:
        if ref.args:
            raise Untranslatable(
                f"{ref.text}: an init script (lsb:{ref.name}) takes no arguments under "
                "Pacemaker; write a wrapper script in resource.d instead"
            )
        return Primitive(
            make_id(ref.name), "lsb", ref.name, "", (), _ops("15s", "30s", "60s", "60s"), ref.text
        )
    if in_resource_d is None:
        raise Untranslatable(f"resource script {ref.name!r} not found")
    params = [("script", str(in_resource_d))]
    if ref.args:
        params.append(("args", "::".join(ref.args)))
    cls, provider, kind = HARESOURCE
    return Primitive(
        make_id(_base_id(ref, ())),
        cls,
        kind,
        provider,
        tuple(params),
        _ops("15s", "60s", "120s", "120s"),
        ref.text,
        f"{ref.text}: runs {in_resource_d} under pyhb's OCF wrapper",
    )
