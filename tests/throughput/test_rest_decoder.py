"""The REST consumer's decoding of grpc-gateway's event stream lines (``consumer.Decoder``).

A chunk's complete lines are parsed in one go; these tests prove that parses exactly
what line-by-line parsing would: every event counted once in order whatever the
chunking, an error line ends the stream with its error, and a line that is not one
JSON object fails instead of being read as several events.
"""

from __future__ import annotations

import json

import pytest

from conformance.throughput.consumer import Decoder, StreamResult, StreamSpec


def lines(*ids: str) -> bytes:
    return b"".join(json.dumps({"result": {"id": i, "message": {}}}).encode() + b"\n" for i in ids)


def decode(body: bytes, chunk: int) -> StreamResult:
    result = StreamResult()
    decoder = Decoder(StreamSpec("rest", "http://h", "q", "js", ids_at=(0, 99)), result)
    for n in range(0, len(body), chunk):
        if decoder.feed_rest(body[n : n + chunk], 0.0):
            break
    return result


@pytest.mark.parametrize("chunk", [1, 7, 100, 1 << 20])
def test_every_event_once_in_order_however_the_body_is_cut(chunk: int) -> None:
    result = decode(lines(*(str(n) for n in range(1, 101))) + b"\n", chunk)
    assert (result.count, result.first_id, result.last_id, result.increasing) == (100, "1", "100", True)
    assert result.ids_at == {0: "1", 99: "100"}


def test_an_out_of_order_id_is_noticed() -> None:
    assert decode(lines("1", "3", "2"), 1 << 20).increasing is False


def test_an_error_line_ends_the_stream_with_its_error() -> None:
    body = lines("1", "2") + json.dumps({"error": {"grpc_code": 5, "message": "gone"}}).encode() + b"\n" + lines("3")
    result = decode(body, 1 << 20)
    assert result.count == 2 and result.error.startswith("error line:") and "gone" in result.error


@pytest.mark.parametrize(
    "bad",
    [
        b'{"result": {"id": "2"}}, {"result": {"id": "3"}}\n',  # two objects on one line: not two events
        b"[1, 2]\n",
        b"not json\n",
    ],
)
def test_a_line_that_is_not_one_json_object_fails(bad: bytes) -> None:
    with pytest.raises(ValueError):
        decode(lines("1") + bad + lines("4"), 1 << 20)
