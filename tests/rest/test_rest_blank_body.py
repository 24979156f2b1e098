"""A REST body of JSON whitespace is no body; any other blank-looking byte is invalid JSON.

grpc-gateway's handlers decode the body with Go's JSON decoder and accept its io.EOF,
so space, tab, CR and LF alone send the empty request (HTTP 200 for CreateQueues of
nothing); a form feed or vertical tab is "invalid character" there (HTTP 400). The
gateway once stripped with ``bytes.strip``, which also drops those two, and accepted them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.json_codec import is_blank


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        yield running


def _post(server: BackgroundServer, path: str, body: bytes) -> requests.Response:
    return requests.post(server.rest_url + path, data=body, headers={"Content-Type": "application/json"}, timeout=10)


@pytest.mark.parametrize("body", [b"", b" ", b"\n\t", b"\r\n \t"])
def test_json_whitespace_is_an_empty_request(server: BackgroundServer, body: bytes) -> None:
    answer = _post(server, "/v1/batched/create_queues", body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}


@pytest.mark.parametrize("body", [b"\x0c", b"\x0b", b" \x0c\n"])
@pytest.mark.parametrize("path", ["/v1/batched/create_queues", "/v1/queue"])
def test_other_blank_looking_bytes_are_invalid_json(server: BackgroundServer, body: bytes, path: str) -> None:
    answer = _post(server, path, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == 3
    assert "not valid JSON" in answer.json()["message"]


def test_is_blank_is_json_whitespace_only() -> None:
    assert [is_blank(b) for b in (b"", b" \t\r\n", b"\x0c", b"{}", b"\xc2\xa0")] == [True, True, False, False, False]
