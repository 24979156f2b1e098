"""The THROUGHPUT gRPC consumer (``h2reader`` + ``grpc_stream``) against real grpcio servers, plain and TLS.

The servers are grpcio's own (sync ``grpc.server`` on loopback), so the reader is
judged by the implementation real Armada clients talk to. What the job set id asks
for is what the server does: ``ok-N`` streams N events, ``fail-N`` streams N then
fails INTERNAL, ``auth-N`` wants ``authorization: Bearer right``, ``ids-a,b,c``
sends those ids, ``idle-N`` sends N events and then nothing. The frame-level
cases grpcio never sends (padding, h2.CONTINUATION, h2.GOAWAY, h2.PUSH_PROMISE) are fed to
the sans-IO ``Call`` directly.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import hpack
import pytest
from certificates import self_signed

import protos
from conformance.throughput import h2reader as h2
from conformance.throughput.consumer import StreamSpec
from conformance.throughput.grpc_stream import capacity, read_grpc_streams
from conformance.throughput.h2reader import Call, CallError, frame
from conformance.throughput.h2socket import connect

EventStreamMessage = protos.message_class("api.EventStreamMessage")
JobSetRequest = protos.message_class("api.JobSetRequest")


def event(message_id: str) -> bytes:
    message = EventStreamMessage(id=message_id)
    message.message.submitted.job_id = f"job-{message_id}"
    return message.SerializeToString()


def _behaviour(request: Any, context: grpc.ServicerContext) -> Iterator[bytes]:
    kind, _, arg = request.id.partition("-")
    if kind == "auth" and dict(context.invocation_metadata()).get("authorization") != "Bearer right":
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "wrong or missing token")
    if kind == "ids":
        yield from (event(i) for i in arg.split(","))
        return
    yield from (event(str(n)) for n in range(1, int(arg) + 1))
    if kind == "fail":
        context.abort(grpc.StatusCode.INTERNAL, "broken after the events")
    if kind == "idle":
        time.sleep(3)


def _serve(port_of: Any) -> Iterator[tuple[grpc.Server, Any]]:
    server = grpc.server(futures.ThreadPoolExecutor(8))
    handler = grpc.unary_stream_rpc_method_handler(
        _behaviour, request_deserializer=JobSetRequest.FromString, response_serializer=lambda b: b
    )
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("api.Event", {"GetJobSetEvents": handler})])
    port = port_of(server)
    server.start()
    try:
        yield server, port
    finally:
        server.stop(None)


@pytest.fixture(scope="module")
def plain() -> Iterator[str]:
    for _, port in _serve(lambda s: s.add_insecure_port("127.0.0.1:0")):
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    cert_pem, key_pem = self_signed(["localhost", "127.0.0.1"])
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca_file.write_bytes(cert_pem)
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
    for _, port in _serve(lambda s: s.add_secure_port("127.0.0.1:0", credentials)):
        yield f"localhost:{port}", str(ca_file)


@pytest.fixture(scope="module")
def mtls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A server known only as armada.test (not by its address) that wants a client certificate."""
    files = tmp_path_factory.mktemp("mtls")
    server_cert, server_key = self_signed(["armada.test"])
    client_cert, client_key = self_signed(["conformance-client"])
    (files / "ca.pem").write_bytes(server_cert)
    (files / "client.pem").write_bytes(client_cert)
    (files / "client.key").write_bytes(client_key)
    credentials = grpc.ssl_server_credentials(
        [(server_key, server_cert)], root_certificates=client_cert, require_client_auth=True
    )
    for _, port in _serve(lambda s: s.add_secure_port("127.0.0.1:0", credentials)):
        yield {
            "address": f"127.0.0.1:{port}",
            **{name: str(files / name) for name in ("ca.pem", "client.pem", "client.key")},
        }


def spec(address: str, job_set: str, **fields: Any) -> StreamSpec:
    return StreamSpec(
        "grpc", address, "q", job_set, **{"timeout": 30.0, "idle_timeout": 10.0, "consecutive_ids": True, **fields}
    )


def test_reads_every_event_and_checks_ids(plain: str) -> None:
    [result] = read_grpc_streams([spec(plain, "ok-3000", parse_every=8, capture=True, ids_at=(0, 2999))])
    assert (result.error, result.count, result.increasing) == ("", 3000, True)
    assert (result.first_id, result.last_id, result.ids_at) == ("1", "3000", {0: "1", 2999: "3000"})
    assert result.parsed == 375  # one in eight, stated
    assert result.capacity_eps > 0


def test_many_streams_on_one_thread(plain: str) -> None:
    results = read_grpc_streams([spec(plain, "ok-500") for _ in range(6)])
    assert [(r.error, r.count) for r in results] == [("", 500)] * 6


@pytest.mark.parametrize("insecure", [False, True])
def test_tls_with_alpn_h2(tls: tuple[str, str], insecure: bool) -> None:
    address, ca_file = tls
    [result] = read_grpc_streams(
        [spec(address, "ok-200", tls=True, tls_ca_file=None if insecure else ca_file, tls_insecure=insecure)]
    )
    assert (result.error, result.count) == ("", 200)


def test_mtls_with_a_client_certificate_and_the_authority_as_server_name(mtls: dict[str, str]) -> None:
    def read(**fields: Any) -> Any:
        [result] = read_grpc_streams([spec(mtls["address"], "ok-50", tls=True, tls_ca_file=mtls["ca.pem"], **fields)])
        return result

    good = read(authority="armada.test:443", tls_cert_file=mtls["client.pem"], tls_key_file=mtls["client.key"])
    assert (good.error, good.count) == ("", 50)
    no_name = read(tls_cert_file=mtls["client.pem"], tls_key_file=mtls["client.key"])
    assert no_name.error.startswith("UNAVAILABLE") and "127.0.0.1" in no_name.error  # the certificate is armada.test's
    no_certificate = read(authority="armada.test:443")
    assert no_certificate.count == 0 and no_certificate.error  # the server wants a client certificate


def test_tls_refuses_an_unknown_certificate(tls: tuple[str, str]) -> None:
    [result] = read_grpc_streams([spec(tls[0], "ok-1", tls=True)])
    assert result.error.startswith("UNAVAILABLE") and "certificate" in result.error


def test_authorization_metadata_and_trailers_only_refusal(plain: str) -> None:
    good, bad = read_grpc_streams(
        [spec(plain, "auth-10", metadata=(("authorization", "Bearer right"),)), spec(plain, "auth-10")]
    )
    assert (good.error, good.count) == ("", 10)
    assert bad.error == "UNAUTHENTICATED: wrong or missing token" and bad.count == 0


def test_a_failing_status_after_events_is_reported(plain: str) -> None:
    [result] = read_grpc_streams([spec(plain, "fail-40")])
    assert result.count == 40 and result.error == "INTERNAL: broken after the events"


@pytest.mark.parametrize(
    ("ids", "consecutive", "problem"),
    [
        ("1,2,4", True, "message 3 has id '4' after '2'"),
        ("1-0-3,1-0-12,2-0-1", False, ""),
        ("5,7,6", False, "message 3 has id '6' after '7'"),
        ("5,5", False, "message 2 has id '5' after '5'"),
    ],
)
def test_id_order(plain: str, ids: str, consecutive: bool, problem: str) -> None:
    [result] = read_grpc_streams([spec(plain, f"ids-{ids}", consecutive_ids=consecutive)])
    assert result.error == "" and result.increasing is not bool(problem)
    assert result.id_problem.startswith(problem)


def test_idle_timeout_ends_a_silent_stream(plain: str) -> None:
    [result] = read_grpc_streams([spec(plain, "idle-5", idle_timeout=0.5)])
    assert result.count == 5 and result.error.startswith("DEADLINE_EXCEEDED: no data for 0.5 s")


def test_stops_at_the_expected_count(plain: str) -> None:
    [result] = read_grpc_streams([spec(plain, "idle-5", expect=5)])
    assert (result.error, result.count) == ("", 5) and result.seconds < 2


def test_unreachable_target_is_an_error_not_an_exception() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    [result] = read_grpc_streams([spec(f"127.0.0.1:{port}", "ok-1")])
    assert result.error.startswith("UNAVAILABLE: cannot open the stream")


def test_flow_control_with_a_small_window(plain: str) -> None:
    """64 KiB windows: 1.3 MB of events only arrive if our WINDOW_UPDATEs keep reopening them."""
    request = JobSetRequest(queue="q", id="ok-5000").SerializeToString()
    call = Call(plain, "/api.Event/GetJobSetEvents", request, window=65535)
    received = 0
    with connect(plain, tls=False) as sock:
        sock.sendall(call.opening())
        while not call.done:
            data = sock.recv(1 << 16)
            if not data:
                call.closed()
            sock.sendall(call.feed(data))
            received += len(data)
            call.take()
    assert call.status == "OK" and call.error() is None and received > 5000 * 20


# ---- frames grpcio never sends: fed to the sans-IO Call -------------------------------------------------------


def _call() -> Call:
    call = Call("h:1", "/api.Event/GetJobSetEvents", b"")
    call.opening()
    return call


def _block(fields: list[tuple[str, str]]) -> bytes:
    return hpack.Encoder().encode(fields)


def _message(message_id: str) -> bytes:
    body = event(message_id)
    return b"\x00" + struct.pack(">I", len(body)) + body


RESPONSE = [(":status", "200"), ("content-type", "application/grpc")]
OK = [("grpc-status", "0")]


def test_padding_continuation_and_byte_by_byte_feeding() -> None:
    call = _call()
    head = _block(RESPONSE)
    payload = _message("1") + _message("2")
    wire = (
        frame(h2.HEADERS, h2.PADDED, 1, bytes([3]) + head[:2] + b"\0\0\0")
        + frame(h2.CONTINUATION, h2.END_HEADERS, 1, head[2:])
        + frame(h2.DATA, h2.PADDED, 1, bytes([4]) + payload + b"\0" * 4)
        + frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1, _block(OK))
    )
    replies = b"".join(call.feed(wire[n : n + 1]) for n in range(len(wire)))
    assert [EventStreamMessage.FromString(m).id for m in call.messages] == ["1", "2"]
    assert call.status == "OK" and replies == b""


def test_settings_acked_and_pings_answered() -> None:
    call = _call()
    reply = call.feed(frame(h2.SETTINGS, 0, 0, struct.pack(">HI", 1, 4096)) + frame(h2.PING, 0, 0, b"12345678"))
    assert reply == frame(h2.SETTINGS, 1, 0, b"") + frame(h2.PING, 1, 0, b"12345678")
    assert call.feed(frame(h2.PING, 1, 0, b"12345678")) == b""  # an ACK is not answered


@pytest.mark.parametrize(
    ("wire", "status", "words"),
    [
        (
            frame(
                h2.HEADERS,
                h2.END_HEADERS | h2.END_STREAM,
                1,
                _block([*RESPONSE, ("grpc-status", "7"), ("grpc-message", "no%20way")]),
            ),
            "PERMISSION_DENIED",
            "no way",
        ),
        (frame(h2.RST_STREAM, 0, 1, struct.pack(">I", 2)), "INTERNAL", "INTERNAL_ERROR"),
        (frame(h2.GOAWAY, 0, 0, struct.pack(">II", 0, 0)), "UNAVAILABLE", "went away"),
        (
            frame(h2.HEADERS, h2.END_HEADERS, 1, _block(RESPONSE)) + frame(h2.DATA, h2.END_STREAM, 1, _message("1")),
            "INTERNAL",
            "without trailers",
        ),
        (frame(h2.HEADERS, h2.END_HEADERS, 1, _block([(":status", "503")])), "UNAVAILABLE", "HTTP status 503"),
        (
            frame(h2.HEADERS, h2.END_HEADERS, 1, _block(RESPONSE))
            + frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1, _block([])),
            "INTERNAL",
            "no grpc-status",
        ),
    ],
)
def test_failures_end_the_call_with_a_status(wire: bytes, status: str, words: str) -> None:
    call = _call()
    call.feed(wire)
    error = call.error()
    assert call.done and error is not None and error.code == status and words in error.message


def test_goaway_after_our_stream_lets_it_finish() -> None:
    call = _call()
    call.feed(
        frame(h2.GOAWAY, 0, 0, struct.pack(">II", 1, 0))
        + frame(h2.HEADERS, h2.END_HEADERS, 1, _block(RESPONSE))
        + frame(h2.DATA, 0, 1, _message("1"))
        + frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1, _block(OK))
    )
    assert call.status == "OK" and len(call.messages) == 1


@pytest.mark.parametrize(
    "wire", [frame(h2.PUSH_PROMISE, h2.END_HEADERS, 1, b"\0\0\0\2"), frame(h2.DATA, 0, 1, b"\x01\0\0\0\1x")]
)
def test_protocol_violations_raise(wire: bytes) -> None:
    with pytest.raises(CallError):
        _call().feed(frame(h2.HEADERS, h2.END_HEADERS, 1, _block(RESPONSE)) + wire)


def test_capacity_probe_replays_captured_bytes(tmp_path: Path) -> None:
    wire = (
        frame(h2.HEADERS, h2.END_HEADERS, 1, _block(RESPONSE))
        + b"".join(frame(h2.DATA, 0, 1, _message(str(n))) for n in range(1, 101))
        + frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1, _block(OK))
    )
    assert capacity(spec("h:1", "x"), [wire[:1000], wire[1000:]], rounds=1) > 0
