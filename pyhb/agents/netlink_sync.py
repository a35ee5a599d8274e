"""``AsyncIPRoute`` for pyroute2 releases that have none (before 0.9; Debian 12 ships 0.7.2).

Offers the part of pyroute2 0.9's ``AsyncIPRoute`` that ``pyhb.agents.ipaddr`` uses —
``setup_endpoint()``, ``await link("dump")``, ``await addr(...)`` giving async iterables of
messages, and ``close()`` — on top of the synchronous ``IPRoute``. Each netlink request runs
in one worker thread (the socket is opened, used and closed there), one at a time, so the
event loop never blocks on the kernel.

Must not import anything from pyhb outside ``pyhb.agents``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pyroute2 import IPRoute


async def _aiter(messages: Iterable[Any]) -> AsyncIterator[Any]:
    for msg in messages:
        yield msg


class AsyncIPRoute:
    """An rtnetlink handle whose requests are awaited (the sync ``IPRoute`` in a thread)."""

    def __init__(self) -> None:
        self._ipr: Any = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhb-netlink")

    async def _in_thread(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def setup_endpoint(self) -> None:
        if self._ipr is None:
            self._ipr = await self._in_thread(IPRoute)

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        await self.setup_endpoint()
        # A dump is read to the end in the thread: the caller iterates over a list.
        result = await self._in_thread(
            lambda: list(getattr(self._ipr, method)(*args, **kwargs) or ())
        )
        return _aiter(result)

    async def link(self, command: str, **kwargs: Any) -> AsyncIterator[Any]:
        return await self._call("link", command, **kwargs)

    async def addr(self, command: str, **kwargs: Any) -> AsyncIterator[Any]:
        return await self._call("addr", command, **kwargs)

    def close(self) -> None:
        """Close the socket in its thread and end the thread (waits for both)."""
        if self._ipr is not None:
            self._thread.submit(self._ipr.close).result()
            self._ipr = None
        self._thread.shutdown(wait=True)
