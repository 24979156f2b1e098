"""The gateway's header limits: all headers of a request together, and how long they may take.

``MAX_HEADER_BYTES`` is "all request headers together": 120 headers of 30 KB each
(each under the per-line limit) must be 431, not 200. A client that starts a request
and stalls mid-headers is answered 408 and its connection closed after
``HEADER_READ_SECONDS`` (shortened here), so stalled connections hold nothing.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psutil
import pytest
import requests
from grpc_kit import ALICE, basic_server
from raw_http import raw_request

from reference_server.background import BackgroundServer
from reference_server.gateway import http_server
from reference_server.limits import MAX_HEADER_BYTES


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with basic_server() as running:
        yield running


def test_many_headers_under_the_line_limit_are_431_together(server: BackgroundServer) -> None:
    headers = b"".join(b"\r\nX-Filler-%d: " % n + b"a" * 30_000 for n in range(120))
    answer = raw_request(server.rest_url, b"GET /v1/queues HTTP/1.1\r\nHost: x" + headers, timeout=60)
    assert answer.status == 431
    assert b"a" * 100 not in answer.body


def test_headers_just_under_the_total_still_work(server: BackgroundServer) -> None:
    filler = {f"X-Filler-{n}": "a" * 1000 for n in range((MAX_HEADER_BYTES - 4096) // 1020)}
    answer = requests.get(f"{server.rest_url}/v1/queues", headers={"Authorization": ALICE, **filler}, timeout=30)
    assert answer.status_code != 431


def test_a_large_body_after_the_headers_is_not_counted_as_headers(server: BackgroundServer) -> None:
    body = b'{"name": "' + b"q" * 200_000 + b'"}'
    answer = requests.post(f"{server.rest_url}/v1/queue", data=body, headers={"Authorization": ALICE}, timeout=30)
    assert answer.status_code not in (408, 431)


def test_a_connection_stalled_mid_headers_is_closed(server: BackgroundServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_server, "HEADER_READ_SECONDS", 0.5)
    url = urlsplit(server.rest_url)
    process = psutil.Process()
    before = process.memory_info().rss
    stalled = [socket.create_connection((url.hostname, url.port), timeout=60) for _ in range(40)]
    try:
        for sock in stalled:
            sock.sendall(b"GET /v1/queues HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"b" * 7000)
        answers = [_read_all(sock) for sock in stalled]
    finally:
        for sock in stalled:
            sock.close()
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers), answers[0][:200]
    assert process.memory_info().rss - before < 100 * 1024 * 1024


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (it must: the recv timeout is a generous cap)."""
    received, started = b"", time.monotonic()
    while chunk := sock.recv(65536):
        received += chunk
        assert time.monotonic() - started < 60
    return received
