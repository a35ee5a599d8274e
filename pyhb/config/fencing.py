"""What ha.cf says about fencing: STONITH devices and the watchdog.

``stonith TYPE CONFIGFILE``: a cluster-glue STONITH device of TYPE (``stonith -L``) whose
parameters are in CONFIGFILE; any node may use it. ``stonith_host HOST TYPE PARAMS...``:
a device of TYPE reachable from HOST (``*``: from every node) with its parameters on the
line, in the order ``stonith -t TYPE -n`` lists them. A node uses the devices of the
``stonith`` lines and of the ``stonith_host`` lines naming it or ``*``, in file order;
the others are for other nodes (heartbeat 3.0.6 ignores them the same way).
``watchdog DEVICE``: the watchdog device the daemon keeps alive. See docs/operations.md.
``failfast`` lines are refused (``failfast_error``). Imports stdlib and ``config.units``
only (``config.model`` holds a ``Fencing`` in ``HaConfig``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyhb.config.units import node_key

ANY_HOST = "*"


def failfast_error(words: list[str], rest: str) -> str:
    """The error of a ``failfast USER /PATH [ARGS...]`` line: pyhb does not run it, so
    ignoring it would drop the reboot it asks for."""
    if len(words) < 2 or not words[1].startswith("/"):
        return f"failfast: expected 'failfast USER /absolute/path [ARGS...]' (got {rest!r})"
    return (
        f"failfast: pyhb does not run {words[1]}, so the reboot this line asks "
        "for when it dies would never happen; remove the line to run without it"
    )


@dataclass(frozen=True, slots=True)
class StonithDevice:
    """One ``stonith`` or ``stonith_host`` line."""

    type: str
    host: str = ANY_HOST  # who may use it: a node name (lower-case) or ``*``
    params: tuple[str, ...] = ()  # stonith_host: the parameters, in order
    config_file: str | None = None  # stonith: the file holding the parameters
    line: int = 0

    def usable_by(self, node: str) -> bool:
        return self.host in (ANY_HOST, node_key(node))

    @property
    def directive(self) -> str:
        return "stonith" if self.config_file is not None else "stonith_host"


def parse_stonith(words: list[str], line: int) -> StonithDevice:
    """``stonith TYPE CONFIGFILE``; ValueError with the message for the line."""
    if len(words) < 2:
        raise ValueError(f"expected 'stonith TYPE CONFIGFILE' (got {' '.join(words)!r})")
    return StonithDevice(words[0], config_file=" ".join(words[1:]), line=line)


def parse_stonith_host(words: list[str], line: int) -> StonithDevice:
    """``stonith_host HOST TYPE PARAMS...``; ValueError with the message for the line."""
    if len(words) < 3:
        raise ValueError(f"expected 'stonith_host HOST TYPE PARAMS...' (got {' '.join(words)!r})")
    host, kind, *params = words
    host = host if host == ANY_HOST else node_key(host)
    return StonithDevice(kind, host=host, params=tuple(params), line=line)


@dataclass(frozen=True, slots=True)
class Fencing:
    """The fencing ha.cf configures: STONITH devices in file order and the watchdog."""

    devices: tuple[StonithDevice, ...] = ()
    watchdog: str | None = None
    watchdog_line: int = 0

    def devices_for(self, node: str) -> tuple[StonithDevice, ...]:
        """The devices ``node`` uses to reset others."""
        return tuple(d for d in self.devices if d.usable_by(node))
