"""The suite as a client of hostile servers: every call ends, with a clear outcome, in bounded memory.

Each server of ``hostile_fakes`` misbehaves in one way; each test asserts behaviour
(the call ends, what it says, what was kept) and that the process' RSS grew by less
than a generous ceiling, never how fast it went. A call that did not end would hang
the test: each runs in a thread joined with a generous cap (``ends``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psutil
import pytest

from conformance.credentials.forgery import ForgeryUnavailable, issuer_keys
from conformance.options import RunOptions
from conformance.results import Outcome
from conformance.runner import run_suite
from conformance.target import Target
from conformance.transport.bounds import MAX_BODY_BYTES, MAX_LINE_BYTES
from conformance.transport.connection import Connection
from conformance.transport.grpc_client import GrpcClient
from conformance.transport.rest_client import RestClient
from fakes.grpc_fakes import EmptyGrpcServer
from fakes.hostile_fakes import HostileHttpServer, HugeStreamGrpcServer

MiB = 1024 * 1024
CEILING = 600 * MiB  # RSS growth allowed for any one hostile answer (the caps keep at most 64 MiB)
T = TypeVar("T")


def ends(work: Callable[[], T], within: float = 120.0) -> T:
    """``work()``'s value; fails if it has not ended after ``within`` seconds (a generous cap, not a speed test)."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(_catch(work)), daemon=True)
    thread.start()
    thread.join(within)
    assert box, f"still running after {within:g} s"
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _catch(work: Callable[[], T]) -> T | BaseException:
    try:
        return work()
    except BaseException as exc:
        return exc


@pytest.fixture
def rss() -> Iterator[Callable[[], int]]:
    """Growth of this process' RSS since the test started."""
    process = psutil.Process()
    before = process.memory_info().rss
    yield lambda: process.memory_info().rss - before


# ---- redirects: never followed by default; opted in, no credential crosses origins ----------


def test_a_redirect_is_the_answer_and_says_where_it_pointed() -> None:
    with HostileHttpServer("trickle") as catcher, HostileHttpServer("redirect-away", away=catcher.url) as server:
        client = RestClient(server.url, connection=Connection((("x-api-key", "K3y-value"),)))
        result = client.raw("GET", "/api/swagger.json", headers={"Authorization": "Bearer t0ken"})
    assert result.status == 302 and catcher.requests == []
    assert any(catcher.url in note and "not followed" in note for note in client.notes)


def test_opted_in_redirects_carry_no_header_or_credential_to_another_origin() -> None:
    with HostileHttpServer("redirect-home") as catcher, HostileHttpServer("redirect-away", away=catcher.url) as server:
        connection = Connection((("x-api-key", "K3y-value"),), follow_redirects=True)
        client = RestClient(server.url, connection=connection)
        client.raw("GET", "/v1/queues", headers={"Authorization": "Bearer t0ken"})
    [(_, sent)] = [r for r in catcher.requests if r[0] == "/caught"]
    lowered = {k.lower(): v for k, v in sent.items()}
    assert "authorization" not in lowered and "x-api-key" not in lowered


def test_opted_in_redirects_on_the_same_origin_keep_the_headers() -> None:
    with HostileHttpServer("redirect-home") as server:
        client = RestClient(server.url, connection=Connection((("x-api-key", "K3y-value"),), follow_redirects=True))
        result = client.raw("GET", "/start", headers={"Authorization": "Bearer t0ken"})
    assert result.status == 200
    [(_, sent)] = [r for r in server.requests if r[0] == "/home"]
    assert sent.get("x-api-key") == "K3y-value" and sent.get("Authorization") == "Bearer t0ken"


# ---- REST: overall deadlines and caps -------------------------------------------------------


def test_an_endless_rest_stream_is_cut_at_the_cap(rss: Callable[[], int]) -> None:
    with HostileHttpServer("endless-lines") as server:
        result = ends(lambda: RestClient(server.url, timeout=60).stream("api.Submit/GetQueues", {}))
    assert "stream cut after" in result.cut and result.lines
    assert rss() < CEILING


def test_a_rest_stream_line_without_end_is_cut(rss: Callable[[], int]) -> None:
    with HostileHttpServer("endless-line") as server:
        result = ends(lambda: RestClient(server.url, timeout=60).stream("api.Submit/GetQueues", {}))
    assert str(MAX_LINE_BYTES) in result.cut
    assert rss() < CEILING


def test_an_endless_unary_body_is_cut_at_the_cap(rss: Callable[[], int]) -> None:
    with HostileHttpServer("endless-body") as server:
        client = RestClient(server.url, timeout=60)
        result = ends(lambda: client.raw("GET", "/v1/queues"))
    assert len(result.text) == MAX_BODY_BYTES and result.body is None and client.notes
    assert rss() < CEILING


@pytest.mark.parametrize("streaming", [False, True], ids=["unary", "stream"])
def test_a_trickling_answer_is_cut_by_the_overall_deadline(streaming: bool) -> None:
    """A byte every 50 ms never trips requests' per-read timeout; the call's own deadline ends it."""
    with HostileHttpServer("trickle") as server:
        client = RestClient(server.url, timeout=1)
        if streaming:
            result = ends(lambda: client.stream("api.Submit/GetQueues", {}))
        else:
            result = ends(lambda: client.raw("GET", "/v1/queues"))
    assert "deadline" in result.cut


def test_the_throughput_rest_consumer_has_an_overall_deadline() -> None:
    from conformance.throughput.consumer import StreamSpec, read_stream

    with HostileHttpServer("trickle") as server:
        spec = StreamSpec(transport="rest", address=server.url, queue="q", job_set="s", timeout=1)
        result = ends(lambda: read_stream(spec))
    assert result.error.startswith("DEADLINE_EXCEEDED")


# ---- gRPC: a stream of huge messages --------------------------------------------------------


def test_a_grpc_stream_of_huge_messages_is_cut_at_the_cap(rss: Callable[[], int]) -> None:
    with HugeStreamGrpcServer() as server, GrpcClient(server.target, timeout=120) as client:
        result = ends(lambda: client.stream("api.Event/GetJobSetEvents", {"queue": "q", "id": "s"}))
    assert result.code == "RESOURCE_EXHAUSTED" and "stopped reading" in result.details
    assert result.messages and client.notes
    assert rss() < CEILING


# ---- documents: swagger depth, OpenID discovery ---------------------------------------------


def test_a_swagger_nested_50000_deep_fails_clearly_through_the_runner() -> None:
    with EmptyGrpcServer() as grpc_server, HostileHttpServer("deep") as server:
        target = Target(name="deep", grpc=grpc_server.target, rest=server.url, timeout=5)
        report = ends(lambda: run_suite(target, RunOptions(only=("SWAGGER-Served",), report_dir=None)))
    [served] = report.results
    assert served.outcome is Outcome.FAILED and "nested deeper than" in served.message


def test_a_file_jwks_uri_is_not_opened() -> None:
    with HostileHttpServer("discovery-file") as server, pytest.raises(ForgeryUnavailable) as refused:
        issuer_keys(server.url, timeout=5)
    assert "not an http(s) URL" in str(refused.value)


def test_a_trickling_jwks_uri_is_cut_by_the_overall_deadline() -> None:
    with HostileHttpServer("discovery-trickle") as server, pytest.raises(ForgeryUnavailable) as refused:
        ends(lambda: issuer_keys(server.url, timeout=1))
    assert "deadline" in str(refused.value)


def test_a_huge_swagger_is_cut_at_the_document_cap(rss: Callable[[], int]) -> None:
    with EmptyGrpcServer() as grpc_server, HostileHttpServer("endless-body") as server:
        target = Target(name="huge", grpc=grpc_server.target, rest=server.url, timeout=60)
        report = ends(lambda: run_suite(target, RunOptions(only=("SWAGGER-Served",), report_dir=None)))
    [served] = report.results
    assert served.outcome is Outcome.FAILED and "cut at" in served.message
    assert rss() < CEILING


def test_a_limit_reached_in_a_check_is_stated_in_its_evidence() -> None:
    with EmptyGrpcServer() as grpc_server, HostileHttpServer("endless-lines") as server:
        target = Target(name="endless", grpc=grpc_server.target, rest=server.url, timeout=60)
        report = ends(lambda: run_suite(target, RunOptions(only=("PARITY-GetQueues",), report_dir=None)))
    [parity] = report.results
    assert parity.outcome is Outcome.FAILED
    assert any("stream cut after" in note for note in parity.evidence["limits_reached"])
