"""Parsing authkeys into ``AuthKeys``, and the refusal of a key file others can read,
write or own.

Format (heartbeat 3.0.6 ``auth.c parse_authfile``): ``auth N`` selects the signing key;
``N METHOD [KEY]`` lines define keys 0..15 with method ``crc`` (no key), ``md5`` or
``sha1`` (key required; only the first word after the method is the key). Lines whose
first non-blank character is ``#`` are comments; ``#`` inside a key is part of it.
Unlike 3.0.6, ``auth N`` may come before or after its key line. On input pyhb accepts the
active key and the other md5/sha1 keys, never a crc key that is not the active one
(``AuthKeys.accepts``, docs/authkeys.md); unused crc and md5 keys get a warning.
Imports stdlib, ``config.source`` and ``config.model`` only.
"""

from __future__ import annotations

import re
import stat

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.config.source import ConfigIssue, IssueList, Severity

MAX_INDEX = 15
_METHODS = tuple(m.value for m in AuthMethod)
_METHOD_LIST = "crc, md5 or sha1"


def mode_issue(path: str, mode: int) -> ConfigIssue | None:
    """An error if the file mode lets group or others read the keys (heartbeat checks
    exactly these bits) or change them (pyhb checks these too: whoever can write the keys
    can sign packets, or cut the node off from its peers)."""
    perms = stat.S_IMODE(mode)
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        what = "readable"
    elif mode & (stat.S_IWGRP | stat.S_IWOTH):
        what = "writable"
    else:
        return None
    return ConfigIssue(
        path,
        0,
        Severity.ERROR,
        f"bad permissions {perms:04o} on {path}: the keys must not be {what} by group or "
        f"others (run: chmod 600 {path})",
    )


def owner_issue(path: str, uid: int, euid: int) -> ConfigIssue | None:
    """An error if the key file belongs to neither root nor ``euid`` (the user checking
    or running pyhb): its owner could rewrite the keys whatever the mode says."""
    if uid in (0, euid):
        return None
    owner = "root" if euid == 0 else f"root or uid {euid}"
    return ConfigIssue(
        path,
        0,
        Severity.ERROR,
        f"{path} belongs to uid {uid}: the keys must belong to {owner}, as whoever owns "
        f"the file can change them (run: chown root: {path})",
    )


def _index(text: str) -> int | None:
    if re.fullmatch(r"[0-9]+", text) and int(text) <= MAX_INDEX:
        return int(text)
    return None


class _AuthkeysParser(IssueList):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.keys: dict[int, tuple[AuthKey, int]] = {}
        self.active: int | None = None
        self.active_line = 0
        self.rejected: set[int] = set()
        self.bad_auth_line = False

    def feed(self, text: str) -> None:
        for lineno, raw in enumerate(text.split("\n"), start=1):
            line = raw.strip(" \t\r\f\v")
            if not line or line.startswith("#"):
                continue
            if line.startswith("a"):
                self.auth_line(line, lineno)
            else:
                self.key_line(line, lineno)

    def auth_line(self, line: str, lineno: int) -> None:
        match = re.match(r"auth[ \t]+([0-9]+)(?:[ \t]|$)", line)
        self.bad_auth_line = True  # until the line proves good
        if match is None:
            self.error(lineno, f"invalid auth line {line!r} (use 'auth N', N from 0 to 15)")
            return
        index = _index(match.group(1))
        if index is None:
            self.error(lineno, f"auth {match.group(1)}: key index out of range (use 0 to 15)")
            return
        if self.active is not None:
            self.warning(
                lineno,
                f"auth given again (first on line {self.active_line}); the last one, "
                f"auth {index}, is used",
            )
        self.active, self.active_line = index, lineno
        self.bad_auth_line = False

    def key_line(self, line: str, lineno: int) -> None:
        words = line.split()
        index = _index(words[0])
        if index is None:
            self.rejected.add(-1)  # some key line was unusable
            if re.fullmatch(r"[0-9]+", words[0]):
                self.error(lineno, f"invalid key index {words[0]} (use 0 to 15)")
            else:
                self.error(lineno, f"invalid line {line!r} (expected 'auth N' or 'N METHOD [KEY]')")
            return
        self.rejected.add(index)  # until the line proves good
        if len(words) < 2:
            self.error(lineno, f"key {index}: no method given (use {_METHOD_LIST})")
            return
        method_text = words[1]
        if method_text not in _METHODS:
            hint = ""
            if method_text.lower() in _METHODS:
                hint = f"; method names are lower-case: write {method_text.lower()!r}"
            self.error(
                lineno, f"key {index}: unknown method {method_text!r} (use {_METHOD_LIST}{hint})"
            )
            return
        method = AuthMethod(method_text)
        key_text = words[2] if len(words) > 2 else ""
        if not method.keyed and key_text:
            self.error(
                lineno,
                f"key {index}: crc does not use a key (remove {key_text!r}, or "
                "use sha1 to authenticate with a key)",
            )
            return
        if method.keyed and not key_text:
            self.error(lineno, f"key {index}: {method} requires a key ('{index} {method} KEY')")
            return
        if len(words) > 3:
            self.warning(
                lineno,
                f"key {index}: only the first word {key_text!r} is the key; "
                "the rest of the line is ignored, as heartbeat does",
            )
        if index in self.keys:
            first = self.keys[index][1]
            self.error(lineno, f"key {index} is defined twice (first on line {first})")
            return
        key = key_text.encode("utf-8", "surrogateescape")
        self.keys[index] = (AuthKey(index, method, key), lineno)
        self.rejected.discard(index)

    def warn_unused_keys(self) -> None:
        """Warn about unused crc and md5 keys, saying what pyhb does with them on input (an
        unused sha1 key is the usual state of a key change, docs/authkeys.md)."""
        for index, (key, lineno) in sorted(self.keys.items()):
            if index == self.active:
                continue
            if key.method is AuthMethod.CRC:
                self.warning(
                    lineno,
                    f"key {index} (crc) is not the active key: pyhb refuses packets signed "
                    "with it (crc takes no secret, anyone could sign with it); remove the line",
                )
            elif key.method is AuthMethod.MD5:
                self.warning(
                    lineno,
                    f"key {index} (md5) is not the active key: packets signed with it are "
                    "still accepted, so that keys can be changed one node at a time; remove "
                    f"the line once every node signs with key {self.active}",
                )

    def finish(self) -> AuthKeys | None:
        if self.active is None and self.bad_auth_line:
            return None  # the auth line itself was reported
        if self.active is None:
            self.error(0, "no 'auth N' line: add one naming the key that signs packets")
            return None
        entry = self.keys.get(self.active)
        if entry is None and (self.active in self.rejected or -1 in self.rejected):
            return None  # the rejected key line was reported; do not repeat it
        if entry is None:
            defined = ", ".join(str(i) for i in sorted(self.keys)) or "none"
            self.error(
                self.active_line,
                f"auth {self.active} names key {self.active}, which "
                f"is not defined (defined keys: {defined})",
            )
            return None
        if entry[0].method is AuthMethod.CRC:
            self.warning(
                self.active_line,
                f"auth {self.active} signs with crc, which detects "
                "corruption but authenticates nothing; use sha1 with a secret key",
            )
        self.warn_unused_keys()
        if any(i.severity is Severity.ERROR for i in self.issues):
            return None
        keys = tuple(k for k, _ in sorted(self.keys.values(), key=lambda e: e[0].index))
        return AuthKeys(active=self.active, keys=keys)


def parse_authkeys(text: str, path: str) -> tuple[AuthKeys | None, list[ConfigIssue]]:
    """Parse authkeys ``text`` (from ``path``, used in messages); None when unusable.

    Keys are the file's bytes (``text`` decoded with ``surrogateescape``)."""
    parser = _AuthkeysParser(path)
    parser.feed(text)
    keys = parser.finish()
    return keys, parser.issues
