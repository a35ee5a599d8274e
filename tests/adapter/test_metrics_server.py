"""The metrics page over HTTP on the asyncio loop (loopback, port chosen by the kernel),
and where it listens: ``metrics_listen`` in pyhb.cf."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterable

import pytest
import pytest_asyncio
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from pyhb.daemon.exporter import (
    HEAD_TIMEOUT,
    MAX_HEAD,
    MIN_BUILD_INTERVAL,
    MetricsConfigError,
    MetricsServer,
    start_exporter,
)


class Ticking(Collector):
    """A gauge that counts the scrapes: each page is built when asked."""

    def __init__(self) -> None:
        self.scrapes = 0

    def collect(self) -> Iterable[Metric]:
        self.scrapes += 1
        yield GaugeMetricFamily("pyhb_test_scrapes", "scrapes so far", value=self.scrapes)


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[MetricsServer, Ticking]]:
    collector = Ticking()
    server = await start_exporter(("127.0.0.1", 0), collector)
    try:
        yield server, collector
    finally:
        await server.close()


async def _http(address: tuple[str, int], request: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.asyncio
async def test_get_metrics_returns_a_fresh_parsable_page(
    served: tuple[MetricsServer, Ticking],
) -> None:
    server, collector = served
    for expected in (1.0, 2.0):
        await asyncio.sleep(MIN_BUILD_INTERVAL)
        code, headers, body = await _http(
            server.address, b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"
        )
        assert code == 200
        assert headers["Content-Type"].startswith("text/plain; version=")
        assert int(headers["Content-Length"]) == len(body)
        families = {f.name: f for f in text_string_to_metric_families(body.decode())}
        assert families["pyhb_test_scrapes"].samples[0].value == expected
        # The process's own series come with it.
        assert "pyhb_process_resident_memory_bytes" in families
    assert collector.scrapes == 2


@pytest.mark.asyncio
async def test_a_flood_of_scrapes_builds_few_pages(served: tuple[MetricsServer, Ticking]) -> None:
    server, collector = served
    loop = asyncio.get_running_loop()
    start = loop.time()
    pages = [await _http(server.address, b"GET /metrics HTTP/1.1\r\n\r\n") for _ in range(30)]
    elapsed = loop.time() - start
    assert all(code == 200 for code, _, _ in pages)
    assert 1 <= collector.scrapes <= 1 + elapsed / MIN_BUILD_INTERVAL
    assert collector.scrapes < 30


@pytest.mark.asyncio
async def test_other_paths_methods_and_garbage_are_refused(
    served: tuple[MetricsServer, Ticking],
) -> None:
    server, collector = served
    assert (await _http(server.address, b"GET /secret HTTP/1.1\r\n\r\n"))[0] == 404
    code, headers, _ = await _http(server.address, b"POST /metrics HTTP/1.1\r\n\r\n")
    assert (code, headers["Allow"]) == (405, "GET, HEAD")
    assert (await _http(server.address, b"\x16\x03\x01garbage\r\n\r\n"))[0] == 400
    code, headers, body = await _http(server.address, b"HEAD /metrics HTTP/1.0\r\n\r\n")
    assert (code, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0
    assert collector.scrapes == 1  # only HEAD built a page


@pytest.mark.asyncio
async def test_an_endless_head_is_cut_off_and_the_server_keeps_serving(
    served: tuple[MetricsServer, Ticking],
) -> None:
    server, _ = served
    reader, writer = await asyncio.open_connection(*server.address)
    writer.write(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * (2 * MAX_HEAD))
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), HEAD_TIMEOUT + 2) == b""
    writer.close()
    assert (await _http(server.address, b"GET / HTTP/1.1\r\n\r\n"))[0] == 200


@pytest.mark.asyncio
async def test_an_ipv6_address_is_served() -> None:
    server = await start_exporter(("::1", 0), Ticking())  # any free port, for the test
    try:
        code, _, body = await _http(server.address, b"GET /metrics HTTP/1.1\r\n\r\n")
    finally:
        await server.close()
    assert code == 200
    assert b"pyhb_test_scrapes 1.0" in body


@pytest.mark.asyncio
async def test_a_busy_port_is_a_clear_start_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            MetricsConfigError, match=f"cannot listen for metrics on 127.0.0.1:{port}"
        ):
            await start_exporter(("127.0.0.1", port), Ticking())


def test_the_daemon_loads_prometheus_client_only_to_serve_metrics() -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = "import sys, pyhb.daemon.app; print('prometheus_client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
