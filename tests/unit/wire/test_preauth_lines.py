"""The classic pre-authentication signs exactly the raw lines the classic rule names
(every line in order, ``auth`` lines and empty lines left out; the first ``auth`` line's
token), however the lines are laid out: checked against that rule written line by line,
with the digest computed over what each gives."""

from __future__ import annotations

import random

import pytest

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.wire.auth import Verifier, digest
from pyhb.wire.errors import AuthError

KEY = AuthKey(1, AuthMethod.SHA1, b"k3y")
PARTS = [b"auth=1 %s", b"auth=", b"", b"x=1", b"auth", b"a=auth=2", b"\r", b"t=status", b"auth=2"]


def _rule(body: bytes) -> tuple[bytes | None, bytes]:
    token, signed = None, b""
    for line in body.split(b"\n")[:-1]:
        if line.startswith(b"auth="):
            token = line[5:] if token is None else token
        elif line:
            signed += line + b"\n"
    return token, signed


@pytest.mark.parametrize("seed", range(4))
def test_what_is_signed_follows_the_line_rule(seed: int) -> None:
    rng = random.Random(seed)
    verifier = Verifier(AuthKeys(1, (KEY,)))
    for _ in range(3000):
        lines = [rng.choice(PARTS) for _ in range(rng.randint(0, 8))]
        body = b"".join(line + b"\n" for line in lines)
        token, signed = _rule(body)
        good = digest(KEY.method, KEY.key, signed).encode()
        body = body.replace(b"%s", good)
        token = None if token is None else token.replace(b"%s", good)
        datagram = b">>>\n" + body + b"<<<\n"
        if token == b"1 " + good:
            verifier._preauth_classic(datagram)  # accepted: the same bytes were signed
        else:
            with pytest.raises(AuthError):
                verifier._preauth_classic(datagram)
