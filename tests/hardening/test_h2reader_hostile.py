"""The THROUGHPUT gRPC reader against a hostile server: it ends the call, it never grows or raises.

Sans-IO first (frames fed to ``h2reader.Call``): endless CONTINUATION, an HPACK bomb,
and seeded random malformed frames; then over a socket, a server that answers the
call with an endless header block, read by ``read_grpc_streams`` with RSS measured.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
from collections.abc import Iterator

import hpack
import psutil
import pytest

from conformance.throughput import h2reader as h2
from conformance.throughput.consumer import StreamSpec
from conformance.throughput.grpc_stream import read_grpc_streams
from conformance.throughput.h2reader import Call, CallError, frame

MiB = 1024 * 1024


def opened() -> Call:
    call = Call("x", "/api.Event/GetJobSetEvents", b"")
    call.opening()
    call.feed(frame(h2.SETTINGS, 0, 0, b""))
    return call


def test_endless_continuation_ends_the_call_at_the_header_limit() -> None:
    call = opened()
    call.feed(frame(h2.HEADERS, 0, h2.STREAM, b"\x00" * 1000))
    with pytest.raises(CallError) as raised:
        for _ in range(10_000):  # 10 MB of CONTINUATION if nothing stopped it
            call.feed(frame(h2.CONTINUATION, 0, h2.STREAM, b"\x00" * 1000))
    assert raised.value.code == "RESOURCE_EXHAUSTED"
    assert call.done and call.status == "RESOURCE_EXHAUSTED" and len(call._block) == 0


def test_the_header_limit_is_configurable() -> None:
    block = hpack.Encoder().encode([(":status", "200"), ("content-type", "application/grpc"), ("x", "v" * 3000)])
    small = Call("x", "/p", b"", max_header_block=1024)
    with pytest.raises(CallError):
        small.feed(frame(h2.HEADERS, h2.END_HEADERS, h2.STREAM, block))
    roomy = opened()
    roomy.feed(frame(h2.HEADERS, h2.END_HEADERS, h2.STREAM, block))
    assert not roomy.done


def test_an_hpack_bomb_is_refused_by_what_it_decodes_to() -> None:
    """A small block naming one big table entry many times decodes to megabytes: refused."""
    encoder = hpack.Encoder()
    first = encoder.encode([("x-bomb", "b" * 4000)])
    again = encoder.encode([("x-bomb", "b" * 4000)] * 200)  # indexed: a byte or two each
    assert len(first) + len(again) < 16 * 1024
    call = opened()
    with pytest.raises(CallError) as raised:
        call.feed(frame(h2.HEADERS, h2.END_HEADERS, h2.STREAM, first + again))
    assert raised.value.code == "RESOURCE_EXHAUSTED"


MALFORMED = [
    frame(h2.RST_STREAM, 0, h2.STREAM, b"\x00"),  # short payload
    frame(h2.GOAWAY, 0, 0, b"\x00\x00"),
    frame(h2.SETTINGS, 0, 0, b"\x00\x01\x00"),
    frame(h2.HEADERS, h2.END_HEADERS, h2.STREAM, b"\xff\xff\xff\xff\x0f"),  # an index far past any table
    frame(h2.HEADERS, h2.END_HEADERS | h2.PADDED, h2.STREAM, b""),  # padded, no pad length
    frame(h2.HEADERS, h2.END_HEADERS, h2.STREAM, hpack.Encoder().encode([("grpc-status", "٣x")])),
    frame(h2.DATA, h2.PADDED, h2.STREAM, b""),
]


@pytest.mark.parametrize("bad", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_frame_ends_the_call_with_an_error(bad: bytes) -> None:
    call = opened()
    with contextlib.suppress(CallError):
        call.feed(bad)
    assert call.error() is not None or not call.done  # never an exception but CallError


def test_random_frames_raise_nothing_but_call_errors() -> None:
    rng = random.Random(23)
    for _ in range(3000):
        call = opened()
        kind, flags = rng.randrange(12), rng.randrange(256)
        payload = rng.randbytes(rng.randrange(0, 40))
        try:
            call.feed(frame(kind, flags, rng.choice((0, 1, 3)), payload) + rng.randbytes(rng.randrange(0, 12)))
        except CallError as error:  # the call's end, reported as its status
            assert error.code in h2.STATUS_NAMES.values()


@pytest.fixture
def endless_headers_server() -> Iterator[str]:
    """Accepts, reads the request, then sends HEADERS and CONTINUATION (never END_HEADERS) forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(frame(h2.SETTINGS, 0, 0, b"") + frame(h2.HEADERS, 0, 1, b"\x00" * 16000))
            chunk = frame(h2.CONTINUATION, 0, 1, b"\x00" * 16000) * 64
            while not stop.is_set():
                try:
                    conn.sendall(chunk)
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    thread.join(10)


def test_a_server_sending_one_endless_header_block_is_cut_off(endless_headers_server: str) -> None:
    """Ends RESOURCE_EXHAUSTED; RSS grows by far less than the 3 GB this once reached."""
    process = psutil.Process()
    before = process.memory_info().rss
    spec = StreamSpec(
        transport="grpc", address=endless_headers_server, queue="q", job_set="s", timeout=60, idle_timeout=30
    )
    [result] = read_grpc_streams([spec])
    assert result.error.startswith("RESOURCE_EXHAUSTED"), result.error
    assert process.memory_info().rss - before < 200 * MiB


def test_struct_layout_is_what_the_fakes_assume() -> None:
    assert struct.calcsize(">IBI") == 9
