"""The consumer's checks of every message (``grpc_stream.Tally``) on the frame layouts real servers send.

grpc-go sends each message in a DATA frame of its own, which ``h2reader`` reads in
place; grpc-core packs many messages into a frame and splits large ones, which go
through the body buffer. Consecutive ids are checked a batch at a time; these tests
prove the batch check finds what the message-by-message one finds (a gap, a
duplicate, an id whose parse disagrees, a message that is not an event) on every
layout and however the bytes are cut by the socket.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import hpack
import pytest

import protos
from conformance.throughput import h2reader as h2
from conformance.throughput.consumer import StreamResult, StreamSpec
from conformance.throughput.grpc_stream import Tally
from conformance.throughput.h2reader import Call, CallError, frame

EventStreamMessage = protos.message_class("api.EventStreamMessage")
HEAD = hpack.Encoder().encode([(":status", "200"), ("content-type", "application/grpc")])
TRAILERS = hpack.Encoder().encode([("grpc-status", "0")])


def event(message_id: str) -> bytes:
    message = EventStreamMessage(id=message_id)
    message.message.submitted.job_id = f"job-{message_id}"
    return message.SerializeToString()


def prefixed(body: bytes, compressed: int = 0) -> bytes:
    return bytes([compressed]) + struct.pack(">I", len(body)) + body


def one_per_frame(messages: list[bytes]) -> bytes:
    """grpc-go: a DATA frame per message."""
    return b"".join(frame(h2.DATA, 0, 1, prefixed(m)) for m in messages)


def packed(messages: list[bytes], size: int = 16384) -> bytes:
    """grpc-core: the messages back to back, cut into frames of ``size`` bytes wherever that falls."""
    body = b"".join(prefixed(m) for m in messages)
    return b"".join(frame(h2.DATA, 0, 1, body[n : n + size]) for n in range(0, len(body), size))


def mixed(messages: list[bytes]) -> bytes:
    """A third one per frame, a third packed in 100-byte frames, then one per frame again."""
    third = len(messages) // 3
    return (
        one_per_frame(messages[:third])
        + packed(messages[third : 2 * third], 100)
        + one_per_frame(messages[2 * third :])
    )


LAYOUTS: dict[str, Callable[[list[bytes]], bytes]] = {"one-per-frame": one_per_frame, "packed": packed, "mixed": mixed}


def stream(messages: list[bytes], layout: str) -> bytes:
    return (
        frame(h2.HEADERS, h2.END_HEADERS, 1, HEAD)
        + LAYOUTS[layout](messages)
        + frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1, TRAILERS)
    )


def tally(wire: bytes, chunk: int = 1 << 20, **fields: object) -> StreamResult:
    """Feed ``wire`` to a Call in ``chunk``-byte reads, every batch to a Tally, as the consumer does."""
    spec = StreamSpec("grpc", "h:1", "q", "js", **{"consecutive_ids": True, "parse_every": 8, **fields})  # type: ignore[arg-type]
    call, result = Call("h:1", "/api.Event/GetJobSetEvents", b""), StreamResult()
    call.opening()
    counting = Tally(spec, result)
    for n in range(0, len(wire), chunk):
        call.feed(wire[n : n + chunk])
        if counting.take(call.take(), 0.0) or result.error:
            break
    return result


IDS = [str(n) for n in range(1, 1201)]  # the prefix changes length at 10, 100 and 1000


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("chunk", [1 << 20, 1000, 7])
def test_every_layout_and_cut_counts_and_checks_alike(layout: str, chunk: int) -> None:
    result = tally(stream([event(i) for i in IDS], layout), chunk, ids_at=(0, 99, 1199))
    assert (result.error, result.count, result.increasing, result.id_problem) == ("", 1200, True, "")
    assert (result.first_id, result.last_id) == ("1", "1200")
    assert result.ids_at == {0: "1", 99: "100", 1199: "1200"}
    assert result.parsed == 150  # one in eight


@pytest.mark.parametrize("layout", LAYOUTS)
def test_messages_keep_their_order_on_every_layout(layout: str) -> None:
    messages = [event(i) for i in IDS[:300]]
    call = Call("h:1", "/api.Event/GetJobSetEvents", b"")
    call.opening()
    call.feed(stream(messages, layout))
    assert call.messages == messages and call.status == "OK"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    ("ids", "problem"),
    [
        ([*IDS[:299], *IDS[300:]], "message 300 has id '301' after '299'"),
        ([*IDS[:700], "700", *IDS[700:]], "message 701 has id '700' after '700'"),
        ([*IDS[:99], "1000", *IDS[100:]], "message 100 has id '1000' after '99'"),
    ],
)
def test_a_gap_or_duplicate_is_found_and_worded(layout: str, ids: list[str], problem: str) -> None:
    result = tally(stream([event(i) for i in ids], layout))
    assert result.increasing is False and result.id_problem.startswith(problem)
    assert result.count == len(ids) and result.error == ""


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_sampled_parse_catches_an_id_the_bytes_do_not_show(layout: str) -> None:
    """Message 9 begins with id "9", but a second id field later in it wins when parsed."""
    messages = [event(i) for i in IDS[:40]]
    messages[8] += b"\n\x01X"
    result = tally(stream(messages, layout))
    assert result.error == "message 9: parsed id 'X' != '9'" and result.count == 8


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_message_that_is_not_an_event_is_an_error_not_an_exception(layout: str) -> None:
    messages = [event(i) for i in IDS[:40]]
    messages[16] = b"\n\x0217\x12\xff\xff\xff"  # the right id, then a length running past the end
    result = tally(stream(messages, layout))
    assert result.error.startswith("INTERNAL: message 17 is not an EventStreamMessage") and result.count == 16


@pytest.mark.parametrize("layout", LAYOUTS)
def test_stops_at_the_expected_count_inside_a_batch(layout: str) -> None:
    result = tally(stream([event(i) for i in IDS], layout), expect=700)
    assert (result.count, result.last_id, result.error) == (700, "700", "")


def test_a_compressed_message_in_a_frame_of_its_own_is_refused() -> None:
    call = Call("h:1", "/api.Event/GetJobSetEvents", b"")
    call.opening()
    with pytest.raises(CallError, match="compressed"):
        call.feed(frame(h2.HEADERS, h2.END_HEADERS, 1, HEAD) + frame(h2.DATA, 0, 1, prefixed(event("1"), compressed=1)))


def test_a_message_larger_than_grpcs_default_limit_is_refused_not_buffered() -> None:
    call = Call("h:1", "/api.Event/GetJobSetEvents", b"")
    call.opening()
    announced = b"\x00" + struct.pack(">I", 5 * 1024 * 1024) + b"\n\x011"  # 5 MiB announced, 3 bytes sent
    with pytest.raises(CallError, match="larger than max"):
        call.feed(frame(h2.HEADERS, h2.END_HEADERS, 1, HEAD) + frame(h2.DATA, 0, 1, announced))
