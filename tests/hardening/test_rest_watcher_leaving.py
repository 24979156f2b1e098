"""Issue 13 item 11: a REST watcher that leaves early costs no traceback (nor any error line).

Two moments to leave: before the first event (the stream has not started; the gateway
used to raise ConnectionResetError into aiohttp, which logged a traceback) and in the
middle of a watching stream.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from grpc_kit import ALICE, basic_server

from conformance.context import tiny_job
from reference_server.background import BackgroundServer


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with basic_server() as running:
        headers = {"Authorization": ALICE}
        assert requests.post(
            running.rest_url + "/v1/queue", json={"name": "watched", "priorityFactor": 1}, headers=headers, timeout=10
        ).ok
        body = {"queue": "watched", "jobSetId": "busy", "jobRequestItems": [tiny_job(kind="long")]}
        assert requests.post(running.rest_url + "/v1/job/submit", json=body, headers=headers, timeout=10).ok
        yield running


def _watch(server: BackgroundServer, job_set: str, read_first: bool) -> None:
    url = urlsplit(server.rest_url)
    body = json.dumps({"watch": True}).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            f"POST /v1/job-set/watched/{job_set} HTTP/1.1\r\nHost: x\r\nAuthorization: {ALICE}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        if read_first:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        else:
            time.sleep(0.1)
    time.sleep(0.8)  # the gateway notices within its 0.25 s poll and ends the call


@pytest.mark.parametrize(("job_set", "read_first"), [("empty", False), ("busy", True)])
def test_a_watcher_that_leaves_costs_no_log_line(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture, job_set: str, read_first: bool
) -> None:
    with caplog.at_level(logging.INFO):
        _watch(server, job_set, read_first)
    noisy = [
        r
        for r in caplog.records
        if r.name.startswith(("aiohttp", "reference_server", "grpc")) and r.levelno >= logging.WARNING
    ]
    assert noisy == [], [r.getMessage() for r in noisy]
    assert requests.get(server.rest_url + "/v1/queue/watched", headers={"Authorization": ALICE}, timeout=10).ok
