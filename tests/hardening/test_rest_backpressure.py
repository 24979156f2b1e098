"""Issue 13 item 2: a REST reader that stops reading costs bounded memory (backpressure).

The attack: ask for a large job set over REST and read nothing. The gateway's pump
used to keep reading gRPC into its queue regardless (120 -> 182 MB in 20 s with two
stalled readers). Now it stops reading while the HTTP writer is blocked, so what it
holds stays below ``HIGH_WATER_BYTES`` plus one batch of the event log, however large
the job set. The ceiling is measured on the live pumps (``peak_bytes``).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from grpc_kit import ALICE, basic_server

from conformance.context import tiny_job
from reference_server.background import BackgroundServer
from reference_server.gateway import GATEWAY_KEY
from reference_server.gateway.streams import HIGH_WATER_BYTES

JOBS, PER_CALL, ARG_BYTES = 2400, 400, 3000  # ~3 KB per submitted event: ~8 MB of stream
EVENT_LOG_BATCH = 256  # events per gRPC message of the batched stream


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with basic_server() as running:
        headers = {"Authorization": ALICE}
        assert requests.post(
            running.rest_url + "/v1/queue", json={"name": "big", "priorityFactor": 1}, headers=headers, timeout=10
        ).ok
        job = tiny_job(kind="long")
        job["podSpec"]["containers"][0]["args"] = ["x" * ARG_BYTES]
        for _ in range(JOBS // PER_CALL):
            body = {"queue": "big", "jobSetId": "large", "jobRequestItems": [job] * PER_CALL}
            assert requests.post(running.rest_url + "/v1/job/submit", json=body, headers=headers, timeout=60).ok
        yield running


def _stalled_reader(server: BackgroundServer) -> socket.socket:
    """A client that asks for the whole job set, reads its first bytes, then reads nothing."""
    url = urlsplit(server.rest_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server feels it soon
    sock.connect((url.hostname, url.port))
    body = json.dumps({"watch": False}).encode()
    sock.sendall(
        f"POST /v1/job-set/big/large HTTP/1.1\r\nHost: x\r\nAuthorization: {ALICE}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    assert sock.recv(1024).startswith(b"HTTP/1.1 200")
    return sock


def test_a_stalled_reader_holds_bounded_memory(server: BackgroundServer) -> None:
    gateway = server.server._runner.app[GATEWAY_KEY]  # type: ignore[union-attr]
    readers = [_stalled_reader(server) for _ in range(2)]
    try:
        time.sleep(3.0)  # unbounded, the pumps would hold the whole ~8 MB job set by now
        pumps = list(gateway.open_pumps)
        assert len(pumps) == 2
        line_bytes = ARG_BYTES + 2000  # an upper bound of one submitted event's JSON line
        ceiling = HIGH_WATER_BYTES + EVENT_LOG_BATCH * line_bytes
        peaks = [pump.peak_bytes for pump in pumps]
        print(f"peak bytes held per stalled reader: {peaks} (ceiling {ceiling}, job set ~{JOBS * line_bytes})")
        assert all(0 < peak <= ceiling for peak in peaks)
        assert all(not pump.finished for pump in pumps)  # the gRPC stream waits: it is not read ahead
        health = requests.get(server.rest_url + "/v1/queue/big", headers={"Authorization": ALICE}, timeout=10)
        assert health.ok  # and the server still serves everyone else
    finally:
        for reader in readers:
            reader.close()


def test_a_reader_that_reads_gets_every_event(server: BackgroundServer) -> None:
    answer = requests.post(
        server.rest_url + "/v1/job-set/big/large", json={"watch": False}, headers={"Authorization": ALICE}, timeout=60
    )
    assert answer.ok
    assert len(answer.content.splitlines()) >= JOBS * 2  # submitted and queued for every job
