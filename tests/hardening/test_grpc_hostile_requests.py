"""Issue 13 over gRPC: undecodable messages, several credentials, oversize and bare secrets.

Items 7, 8, 9 and 1/11 on the gRPC side. Each test sends what an attacker would over
a real loopback connection and asserts the safe outcome: the right status, no secret
in the answer or the log, at most one log line and no traceback per bad request.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import grpc
import pytest
from grpc_kit import ALICE, PASSWORD, basic_server, raw_call

from reference_server.limits import MAX_AUTHORIZATION_BYTES

GARBAGE = b"\xff\xff\xff\xff"  # not a protobuf message: a truncated varint tag
QUEUE_REQUEST = b"\x0a\x06absent"  # api.QueueGetRequest{name: "absent"}


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    with basic_server() as server, grpc.insecure_channel(server.grpc_target) as open_channel:
        yield open_channel


def _server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name.startswith(("reference_server", "grpc", "aiohttp")) and r.levelno >= logging.INFO
    ]


@pytest.mark.parametrize(
    ("method", "streaming"),
    [
        ("Submit/GetQueue", False),
        ("Submit/CreateQueue", False),
        ("Event/GetJobSetEvents", True),
    ],
)
def test_an_undecodable_message_is_invalid_argument_after_authentication(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture, method: str, streaming: bool
) -> None:
    with caplog.at_level(logging.INFO):
        reply = raw_call(channel, method, GARBAGE, [("authorization", ALICE)], streaming)
    assert reply.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid api." in reply.details
    assert all(r.exc_info is None for r in _server_records(caplog))
    assert len(_server_records(caplog)) <= 1


@pytest.mark.parametrize(
    "metadata", [[], [("authorization", "Basic bm9ib2R5OndoYXQ=")], [("authorization", "Bearer x.y.z")]]
)
def test_an_undecodable_message_from_a_stranger_is_unauthenticated(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture, metadata: list[tuple[str, str]]
) -> None:
    with caplog.at_level(logging.INFO):
        reply = raw_call(channel, "Submit/GetQueue", GARBAGE, metadata)
    assert reply.code is grpc.StatusCode.UNAUTHENTICATED
    assert "message" not in reply.details  # nothing about the message leaks before authentication
    assert all(r.exc_info is None for r in _server_records(caplog))


@pytest.mark.parametrize("values", [["Basic bad", ALICE], [ALICE, "Basic bad"], [ALICE, ALICE]])
def test_several_credentials_are_refused(channel: grpc.Channel, values: list[str]) -> None:
    reply = raw_call(channel, "Submit/GetQueue", QUEUE_REQUEST, [("authorization", v) for v in values])
    assert reply.code is grpc.StatusCode.UNAUTHENTICATED
    assert "Authorization values given" in reply.details
    assert (
        raw_call(channel, "Submit/GetQueue", QUEUE_REQUEST, [("authorization", ALICE)]).code
        is grpc.StatusCode.NOT_FOUND
    )  # one value: let in


def test_an_oversize_authorization_is_unauthenticated_unparsed(channel: grpc.Channel) -> None:
    big = "Basic " + base64.b64encode(b"alice:" + b"x" * MAX_AUTHORIZATION_BYTES).decode()
    reply = raw_call(channel, "Submit/GetQueue", QUEUE_REQUEST, [("authorization", big)])
    assert reply.code is grpc.StatusCode.UNAUTHENTICATED
    assert f"longer than {MAX_AUTHORIZATION_BYTES} bytes" in reply.details


def test_a_large_value_under_the_limit_reaches_the_scheme(channel: grpc.Channel) -> None:
    """A 12 KB value (a Kerberos token with a big PAC is that long) is judged, not cut off by transport."""
    large = "Basic " + base64.b64encode(b"alice:" + b"y" * 9000).decode()
    reply = raw_call(channel, "Submit/GetQueue", QUEUE_REQUEST, [("authorization", large)])
    assert reply.code is grpc.StatusCode.UNAUTHENTICATED
    assert "user name or password" in reply.details


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),  # a Basic payload without its scheme
        f"{PASSWORD}",  # a bare password
        f"X-{PASSWORD} trailing",  # a secret where the scheme goes
    ],
)
def test_no_part_of_a_refused_value_is_echoed_or_logged(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        reply = raw_call(channel, "Submit/GetQueue", QUEUE_REQUEST, [("authorization", value)])
    assert reply.code is grpc.StatusCode.UNAUTHENTICATED
    assert PASSWORD[:8] not in reply.details and value.split()[0][:12] not in reply.details
    for record in caplog.records:
        assert PASSWORD[:8] not in record.getMessage() and value.split()[0][:12] not in record.getMessage()
    assert "accepts Basic" in reply.details
