"""Process checks shared by the tests that kill scripts."""

from __future__ import annotations

import asyncio
from pathlib import Path


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (one waiting for its reaper is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def gone(pid: int, within: float = 5.0) -> bool:
    """Whether ``pid`` has ended within ``within`` seconds: a SIGKILL is delivered at once,
    but the process is only marked dead once the kernel has torn it down."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while running(pid):
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True
