"""ha.cf ``stonith_host`` lines -> Pacemaker fencing devices.

The STONITH lines are read here from ha.cf's text (pyhb's own use of them is
``config.fencing``). Heartbeat's ``stonith_host FROM TYPE PARAMS...`` passes positional parameters
to a cluster-glue plugin; only plugins whose parameters map one-to-one onto a fence agent
are translated, anything else (and the ``stonith TYPE FILE`` form) is an error naming the
line. Imports stdlib, ``pyhb.config.source`` and ``pyhb.export``.
"""

from __future__ import annotations

from pathlib import Path

from pyhb.config.source import ConfigIssue
from pyhb.export.agents import make_id
from pyhb.export.model import Location, Op, Primitive, issue

FENCE_OPS = (Op("monitor", "60s", "20s"),)


def _ipmi(words: list[str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """external/ipmi: HOSTNAME IPADDR USERID PASSWD [INTERFACE] -> fence_ipmilan."""
    if not 4 <= len(words) <= 5:
        raise ValueError("external/ipmi expects HOSTNAME IPADDR USERID PASSWD [INTERFACE]")
    host, ip, user, password = words[:4]
    params = [("ip", ip), ("username", user), ("password", password)]
    if len(words) == 5:
        if words[4] not in ("lan", "lanplus"):
            raise ValueError(f"external/ipmi interface {words[4]!r} is neither lan nor lanplus")
        params.append(("lanplus", "1" if words[4] == "lanplus" else "0"))
    params.append(("pcmk_host_list", host.lower()))
    return host.lower(), tuple(params)


PLUGINS = {"external/ipmi": ("fence_ipmilan", _ipmi)}


def fencing_from_hacf(
    path: Path, shown: str
) -> tuple[list[Primitive], list[Location], list[ConfigIssue]]:
    """Fencing primitives (and keep-off-the-victim locations) from ha.cf's STONITH lines."""
    devices: list[Primitive] = []
    locations: list[Location] = []
    issues: list[ConfigIssue] = []
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return devices, locations, issues  # the loader has already reported it
    for lineno, raw in enumerate(text.split("\n"), start=1):
        words = raw.split("#", 1)[0].replace(",", " ").split()
        if not words or words[0] not in ("stonith", "stonith_host"):
            continue
        if words[0] == "stonith" or len(words) < 3:
            issues.append(
                issue(
                    shown,
                    lineno,
                    f"{words[0]}: only 'stonith_host FROM TYPE "
                    "PARAMS' lines can be exported; configure fencing by hand",
                )
            )
            continue
        kind = words[2]
        if kind not in PLUGINS:
            known = ", ".join(sorted(PLUGINS))
            issues.append(
                issue(
                    shown,
                    lineno,
                    f"stonith_host: plugin {kind!r} has no faithful "
                    f"fence-agent translation here (known: {known}); configure "
                    "that fencing device by hand",
                )
            )
            continue
        agent, mapper = PLUGINS[kind]
        try:
            victim, params = mapper(words[3:])
        except ValueError as exc:
            issues.append(issue(shown, lineno, f"stonith_host: {exc}"))
            continue
        rsc = make_id(f"fence-{victim}")
        devices.append(Primitive(rsc, "stonith", agent, "", params, FENCE_OPS, raw.strip()))
        # A node never runs the device that fences it.
        locations.append(Location(f"loc-{rsc}-avoid", rsc, victim, "-INFINITY"))
    return devices, locations, issues
