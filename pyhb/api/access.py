"""Who may sign on to the client API: ``apiauth`` and 3.0.6's built-in entries.

A casual client (one whose client id is its pid: ``cl_status``) is checked against the
``anon`` entry; a named client against its own entry, else ``default``. A process is
accepted when its uid is in the entry's uid list or its gid in the gid list, both taken
from the socket (``SO_PEERCRED``), never from what the client says. Entries 3.0.6 adds
unless ha.cf has its own line for the client are ``DEFAULTS``.
"""

from __future__ import annotations

import grp
import logging
import pwd
from collections.abc import Iterable
from dataclasses import dataclass

from pyhb.config.model import ApiAuth

log = logging.getLogger(__name__)

DEFAULTS = (
    ApiAuth("ipfail", ("hacluster",), ()),
    ApiAuth("ccm", ("hacluster",), ()),
    ApiAuth("ping", (), ("haclient",)),
    ApiAuth("lha-snmpagent", ("root",), ()),
    ApiAuth("anon", ("root",), ("haclient",)),
)


@dataclass(frozen=True, slots=True)
class Grant:
    uids: frozenset[int]
    gids: frozenset[int]


def _resolve(names: Iterable[str], lookup: str) -> set[int]:
    """The ids of ``names``; one that does not exist here (the configuration check warns
    of it, naming its ha.cf line) authorises no one."""
    ids: set[int] = set()
    for name in names:
        if name.isdigit():
            ids.add(int(name))
            continue
        try:
            ids.add(pwd.getpwnam(name).pw_uid if lookup == "user" else grp.getgrnam(name).gr_gid)
        except KeyError:
            log.debug("apiauth: no %s called %r", lookup, name)
    return ids


def grants(configured: Iterable[ApiAuth]) -> dict[str, Grant]:
    """Every client's grant: the configured entries, then the defaults for the rest."""
    entries = {e.client: e for e in DEFAULTS}
    entries.update({e.client: e for e in configured})
    return {
        client: Grant(frozenset(_resolve(e.uids, "user")), frozenset(_resolve(e.gids, "group")))
        for client, e in entries.items()
    }


def refusal(
    table: dict[str, Grant], client_id: str, casual: bool, uid: int, gid: int
) -> str | None:
    """None if this process may sign on as ``client_id``, else 3.0.6's reason."""
    if casual:
        grant = table.get("anon")
        if grant is None:
            return "apiauth anon missing"
    else:
        grant = table.get(client_id) or table.get("default")
        if grant is None:
            return "no default client auth"
    if uid in grant.uids or gid in grant.gids:
        return None
    return "client failed authorization"
