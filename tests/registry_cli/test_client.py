"""The registry client's handling of rate limits, against a loopback HTTP server that answers
429 as a busy registry does (the live server's own limit waits up to 60 s, too long for a test)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pyshepard.registry.remote.client import RegistryClient, RegistryError
from pyshepard.registry.remote.export import export_registry


class _Busy(BaseHTTPRequestHandler):
    """GET /api/models: 429 with the server's Retry-After for the first `refusals` requests."""

    refusals = 0
    retry_after = "1"
    seen: list[float] = []  # noqa: RUF012 - per-test state, reset by the fixture

    def do_GET(self) -> None:
        type(self).seen.append(time.monotonic())
        if len(type(self).seen) <= type(self).refusals:
            body = b'{"status":429,"message":"Too many anonymous requests"}'
            self.send_response(429)
            self.send_header("Retry-After", type(self).retry_after)
        else:
            body = json.dumps([]).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def busy() -> Iterator[tuple[str, type[_Busy]]]:
    _Busy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Busy
    finally:
        server.shutdown()
        server.server_close()


def test_rate_limited_reads_wait_for_retry_after(
    busy: tuple[str, type[_Busy]], tmp_path: Path
) -> None:
    url, handler = busy
    handler.refusals, handler.retry_after = 2, "1"
    with RegistryClient(url) as client:
        assert export_registry(client, tmp_path / "out") == []
    assert len(handler.seen) == 3
    assert handler.seen[1] - handler.seen[0] >= 0.95
    assert handler.seen[2] - handler.seen[1] >= 0.95


def test_a_retry_after_beyond_the_cap_fails_at_once(busy: tuple[str, type[_Busy]]) -> None:
    url, handler = busy
    handler.refusals, handler.retry_after = 1, "3600"
    with RegistryClient(url) as client, pytest.raises(RegistryError) as raised:
        list(client.list_models())
    assert raised.value.status == 429
    assert "Too many anonymous requests" in raised.value.message
    assert len(handler.seen) == 1
