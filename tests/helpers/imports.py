"""What a fresh interpreter imports: for the tests that keep start-up light."""

from __future__ import annotations

import ast
import subprocess
import sys


def loaded_by(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a fresh interpreter: the modules it loaded whose names start with
    one of ``prefixes``, sorted."""
    probe = (
        f"{code}\nimport sys\nprint(sorted(m for m in sys.modules if m.startswith({prefixes!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    loaded: list[str] = ast.literal_eval(out.rstrip("\n").rsplit("\n", 1)[-1])
    return loaded
