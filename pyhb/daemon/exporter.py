"""The metrics page: Prometheus text exposition over HTTP, served from the daemon's own
asyncio loop (docs/metrics.md).

Nothing listens unless ``metrics_listen HOST:PORT`` is set in /etc/ha.d/pyhb.cf. A scrape
is answered on the loop that runs the engine, so a page that comes back proves the loop
runs; the page is built by ``prometheus_client.generate_latest`` from the daemon's own
registry (never the library's global one, never its threaded HTTP server). The server
speaks just enough HTTP/1.1 for a scraper: ``GET /metrics`` (and ``/``), one response per
connection; anything else gets 404 or 405, a request head over ``MAX_HEAD`` bytes or
slower than ``HEAD_TIMEOUT`` is dropped, and a page is built at most every
``MIN_BUILD_INTERVAL``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.registry import Collector

import pyhb
from pyhb.daemon.metrics import ClusterCollector
from pyhb.errors import PyhbError

if TYPE_CHECKING:
    from pyhb.control.status import MonitorAccessor
    from pyhb.core.engine import Engine
    from pyhb.daemon.counters import Counters

log = logging.getLogger(__name__)


class MetricsConfigError(PyhbError):
    """The metrics address cannot be listened on."""


MAX_HEAD = 8192
HEAD_TIMEOUT = 5.0
MAX_CONNECTIONS = 16  # scrapes answered at once; more are closed at once
#: A page is built at most this often (seconds): scrapes closer together get the last
#: page again, so a flood of requests cannot take the heartbeats' loop away from them.
MIN_BUILD_INTERVAL = 0.1


class MetricsServer:
    """Serves ``registry`` on (host, port); ``await start()``, ``await close()``."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self.registry = registry
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._open = 0
        self._page = b""
        self._built: float | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (the port the kernel chose when asked for port 0)."""
        assert self._server is not None
        sockname = self._server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(
                self._serve, self.host, self.port, limit=MAX_HEAD
            )
        except OSError as exc:
            raise MetricsConfigError(
                f"cannot listen for metrics on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        log.info("Metrics served on http://%s:%d/metrics", *self.address[:2])

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._open >= MAX_CONNECTIONS:
            writer.close()
            return
        self._open += 1
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            writer.write(self._respond(head))
            await writer.drain()
        except (
            TimeoutError,
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass
        except Exception:
            log.exception("Metrics request failed")
        finally:
            self._open -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _respond(self, head: bytes) -> bytes:
        words = head.split(b"\r\n", 1)[0].split()
        if len(words) != 3 or not words[2].startswith(b"HTTP/"):
            return _response(400, "Bad Request", b"bad request\n")
        method, target = words[0], words[1].split(b"?", 1)[0]
        if target not in (b"/metrics", b"/"):
            return _response(404, "Not Found", b"not found: try /metrics\n")
        if method not in (b"GET", b"HEAD"):
            return _response(405, "Method Not Allowed", b"only GET\n", allow=True)
        now = asyncio.get_running_loop().time()
        if self._built is None or now - self._built >= MIN_BUILD_INTERVAL:
            self._page, self._built = generate_latest(self.registry), now
        body = self._page
        return _response(200, "OK", body, content_type=CONTENT_TYPE_LATEST, head=method == b"HEAD")


def _response(
    code: int,
    reason: str,
    body: bytes,
    *,
    content_type: str = "text/plain; charset=utf-8",
    allow: bool = False,
    head: bool = False,
) -> bytes:
    lines = [
        f"HTTP/1.1 {code} {reason}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(["Allow: GET, HEAD"] if allow else []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (b"" if head else body)


async def start_exporter(address: tuple[str, int], collector: Collector) -> MetricsServer:
    """Serve ``collector`` (and the process's CPU and memory) on ``address``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    ProcessCollector(namespace="pyhb", registry=registry)
    server = MetricsServer(registry, *address)
    await server.start()
    return server


async def serve_metrics(
    address: tuple[str, int],
    engine: Engine,
    counters: Counters,
    monitor: Callable[[], MonitorAccessor | None],
) -> MetricsServer:
    """The metrics page of a running daemon, when pyhb.cf sets ``metrics_listen``
    (docs/metrics.md): the cluster's collector (``daemon.metrics``) on ``address``."""
    loop = asyncio.get_running_loop()
    collector = ClusterCollector(
        lambda: engine, counters, version=pyhb.__version__,
        uptime=lambda: loop.time() - engine.started, monitor=monitor,
    )  # fmt: skip
    return await start_exporter(address, collector)
