"""Issue 13 over REST: what an attacker sends the gateway, and the safe outcome of each.

Items 1 (unparseable header lines), 4 (deep JSON), 5 (gzip bombs), 6 (long echoed
input), 8 (several credentials) and 9 (header limit and non-ASCII: the same 401 as
gRPC). Requests go over real loopback sockets; the log is captured to show that a bad
request costs at most one line, with no traceback and no secret.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
from collections.abc import Iterator

import pytest
import requests
from grpc_kit import ALICE, PASSWORD, basic_server
from raw_http import raw_request

from reference_server.background import BackgroundServer
from reference_server.limits import MAX_AUTHORIZATION_BYTES, MAX_HEADER_BYTES, MAX_MESSAGE_CHARS

SECRET = "Zm9vOmJhcl9zM2NyZXRfcGFzc3dvcmQ"  # what a Basic value or a token looks like


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with basic_server() as running:
        yield running


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("reference_server", "aiohttp", "grpc"))]


def _quiet(caplog: pytest.LogCaptureFixture, secret: str = SECRET) -> None:
    """At most one log line, no traceback, no secret."""
    records = _records(caplog)
    assert len(records) <= 1, [r.getMessage() for r in records]
    for record in records:
        assert record.exc_info is None and secret not in record.getMessage()


# ---- item 1: header lines aiohttp cannot parse ------------------------------------------


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (f"Authorization: Basic {SECRET}\x01".encode(), 400),  # control character
        (f"Authorization: Basic\r\n {SECRET}".encode(), 400),  # folded header
        (f"Authorization: Basic {SECRET}{'A' * MAX_HEADER_BYTES}".encode(), 431),  # over the limit
        (f"X-{SECRET}\x7f: 1".encode(), 400),  # bad header name
    ],
)
def test_an_unparseable_header_line_is_neither_echoed_nor_logged(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture, line: bytes, status: int
) -> None:
    with caplog.at_level(logging.DEBUG):
        answer = raw_request(server.rest_url, b"GET /v1/queue/absent HTTP/1.1\r\nHost: x\r\n" + line)
    assert answer.status == status
    assert SECRET.encode() not in answer.body
    _quiet(caplog)


# ---- item 4: JSON nested deep ---------------------------------------------------------


@pytest.mark.parametrize("authorization", [ALICE, None])
def test_deeply_nested_json_is_400_without_traceback(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture, authorization: str | None
) -> None:
    body = b'{"name": "q", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
    with caplog.at_level(logging.INFO):
        answer = requests.post(server.rest_url + "/v1/queue", data=body, headers=headers, timeout=10)
    assert answer.status_code == 400
    assert "nested more than" in answer.json()["message"]
    _quiet(caplog)


def test_a_job_spec_of_ordinary_depth_still_parses(server: BackgroundServer) -> None:
    nested: dict = {"name": "ok-depth", "priorityFactor": 1, "labels": {}}
    answer = requests.post(server.rest_url + "/v1/queue", json=nested, headers={"Authorization": ALICE}, timeout=10)
    assert answer.status_code == 200, answer.text


# ---- item 5: gzip bombs -------------------------------------------------------------


def test_a_gzip_bomb_is_413_without_inflating_it_all(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture
) -> None:
    bomb = gzip.compress(b"{" + b" " * (200 * 1024 * 1024) + b"}", compresslevel=9)
    assert len(bomb) < 300 * 1024
    with caplog.at_level(logging.INFO):
        answer = requests.post(
            server.rest_url + "/v1/queue",
            data=bomb,
            timeout=30,
            headers={"Content-Encoding": "gzip", "Authorization": ALICE, "Content-Type": "application/json"},
        )
    assert answer.status_code == 413
    _quiet(caplog)
    assert (
        requests.get(server.rest_url + "/v1/queue/absent", headers={"Authorization": ALICE}, timeout=10).status_code
        == 404
    )  # and the server is still there


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_an_honest_compressed_body_is_accepted(server: BackgroundServer, encoding: str) -> None:
    import zlib

    raw = json.dumps({"name": f"zipped-{encoding}", "priorityFactor": 1}).encode()
    body = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    answer = requests.post(
        server.rest_url + "/v1/queue",
        data=body,
        timeout=10,
        headers={"Content-Encoding": encoding, "Authorization": ALICE},
    )
    assert answer.status_code == 200, answer.text


def test_garbage_claiming_gzip_is_400(server: BackgroundServer) -> None:
    answer = requests.post(
        server.rest_url + "/v1/queue",
        data=b"not gzip at all",
        timeout=10,
        headers={"Content-Encoding": "gzip", "Authorization": ALICE},
    )
    assert answer.status_code == 400


# ---- item 6: long input echoed back ---------------------------------------------------


def test_a_12_kb_queue_name_is_404_with_a_short_message(server: BackgroundServer) -> None:
    queue = "q" * 12_000
    body = {"queue": queue, "jobSetId": "js", "jobRequestItems": [{"priority": 1, "namespace": "default"}]}
    answer = requests.post(server.rest_url + "/v1/job/submit", json=body, headers={"Authorization": ALICE}, timeout=10)
    assert answer.status_code in (400, 404), answer.text[:300]
    assert len(answer.json()["message"]) <= MAX_MESSAGE_CHARS + 40


def test_a_long_queue_name_in_the_path_is_404(server: BackgroundServer) -> None:
    answer = requests.get(server.rest_url + "/v1/queue/" + "n" * 6000, headers={"Authorization": ALICE}, timeout=10)
    assert answer.status_code == 404
    assert "does not exist" in answer.json()["message"] and len(answer.json()["message"]) <= MAX_MESSAGE_CHARS + 40


# ---- items 8 and 9: several credentials, oversize and non-ASCII values ----------------


@pytest.mark.parametrize("extra", [b"Authorization: Basic bad", b"Grpc-Metadata-Authorization: Basic bad"])
def test_several_credentials_are_401(server: BackgroundServer, extra: bytes) -> None:
    head = b"GET /v1/queue/absent HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\nAuthorization: " + ALICE.encode()
    answer = raw_request(server.rest_url, head)
    assert answer.status == 401
    assert b"Authorization values given" in answer.body


def test_an_oversize_authorization_is_401_as_on_grpc(server: BackgroundServer) -> None:
    big = "Basic " + base64.b64encode(b"alice:" + b"x" * MAX_AUTHORIZATION_BYTES).decode()
    answer = requests.get(server.rest_url + "/v1/queue/absent", headers={"Authorization": big}, timeout=10)
    assert answer.status_code == 401
    assert f"longer than {MAX_AUTHORIZATION_BYTES} bytes" in answer.json()["message"]


@pytest.mark.parametrize(
    "value", ["Basic \xe9\xe9\xe9=".encode("latin-1"), "Bearer é.é.é".encode(), b"\xff\xfe " + PASSWORD.encode()]
)
def test_raw_non_ascii_authorization_is_401_with_a_challenge(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture, value: bytes
) -> None:
    with caplog.at_level(logging.INFO):
        answer = raw_request(server.rest_url, b"GET /v1/queue/absent HTTP/1.1\r\nHost: x\r\nAuthorization: " + value)
    assert answer.status == 401
    assert "basic" in answer.headers.get("www-authenticate", "").lower()
    assert PASSWORD.encode() not in answer.body
    _quiet(caplog, PASSWORD)
