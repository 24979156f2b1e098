"""The THROUGHPUT checks against the reference server: they run, validate, and give sane figures.

No wall-clock threshold is asserted here: speed is judged only by the gates a user
sets. What is asserted: every measurement check passes on a healthy server, every
figure is positive and finite, the figures agree with each other (p50 <= p95 <= p99,
fan-out per-watcher <= aggregate), the client-bound flag is computed from the
decode capacity, and gates set impossibly high fail with a message naming the
figure and the threshold. Small sizes keep this module well under a minute.
"""

from __future__ import annotations

import dataclasses
import math
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import hpack
import pytest
from certificates import self_signed

import protos
from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.options import RunOptions
from conformance.plan import ConfigError, prepare
from conformance.report.baseline import compare_figure
from conformance.results import Figure, Outcome, RunReport
from conformance.runner import run_check
from conformance.settings import RunSettings
from conformance.target import Target
from conformance.throughput.consumer import StreamSpec, decode_capacity, id_key
from conformance.throughput.h2reader import DATA, END_HEADERS, END_STREAM, HEADERS, frame
from conformance.throughput.settings import Workload
from conformance.throughput.verdict import client_bound, percentile, resume_points
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.events import JobSetLog

SMALL = {"events": 400, "jobs": 30, "watchers": 3, "batch_size": 5, "submit_interval_ms": 5}


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        yield running


def _context(server: BackgroundServer, **options: object) -> RunContext:
    target = Target(
        name="reference",
        grpc=server.grpc_target,
        rest=server.rest_url,
        profile="current",
        anonymous_expect="allowed",
        embedded=True,
        consecutive_ids=True,
    )
    baseline = options.pop("baseline", None)
    settings = RunSettings.given(**{**SMALL, **options})
    return RunContext(target, settings=dataclasses.replace(settings, baseline=baseline))


@pytest.fixture(scope="module")
def measured(server: BackgroundServer) -> Iterator[tuple[dict[str, Outcome], list[Figure], dict[str, str]]]:
    ctx = _context(server)
    try:
        results = [run_check(c, ctx) for c in select(catalogue(), "current", ["THROUGHPUT"])]
        yield {r.id: r.outcome for r in results}, list(ctx.figures), {r.id: r.message for r in results}
    finally:
        assert ctx.cleanup() == []
        ctx.close()


def test_every_measurement_check_passes_and_gates_are_not_configured(measured) -> None:  # type: ignore[no-untyped-def]
    outcomes, _, messages = measured
    for check_id, outcome in outcomes.items():
        if "-Threshold-" in check_id:
            assert outcome is Outcome.NOT_CONFIGURED, check_id
        else:
            assert outcome is Outcome.PASSED, f"{check_id}: {messages[check_id]}"


def test_figures_are_positive_finite_and_consistent(measured) -> None:  # type: ignore[no-untyped-def]
    _, figures, _ = measured
    by_id = {f.id: f for f in figures}
    for transport in ("GRPC", "REST"):
        for suffix in ("Replay", "Live", "FanOut", "Resume"):
            assert f"THROUGHPUT-{suffix}-{transport}" in by_id
        live = f"THROUGHPUT-Live-{transport}"
        assert by_id[f"{live}-p50"].value <= by_id[f"{live}-p95"].value <= by_id[f"{live}-p99"].value
        fan = f"THROUGHPUT-FanOut-{transport}"
        assert by_id[f"{fan}-per-watcher"].value <= by_id[fan].value * 1.001
        assert by_id[fan].details["watchers"] == SMALL["watchers"]
        replay = by_id[f"THROUGHPUT-Replay-{transport}"]
        assert replay.details["events_per_stream"] == SMALL["events"]
        assert replay.details["decode_capacity_eps"] > 0
        expected_bound = client_bound(
            replay.value,
            replay.details["decode_capacity_eps"],
            replay.details["consumer_cpu_fraction"] + replay.details["consumer_waiting_for_cpu_fraction"],
        )
        assert replay.client_bound is expected_bound
    for figure in figures:
        assert math.isfinite(figure.value) and figure.value > 0, figure
        assert figure.unit in ("events/s", "ms")
    assert len({f.id for f in figures}) == len(figures), "a figure was reported twice"


@pytest.mark.parametrize(
    ("options", "check_id", "words"),
    [
        ({"min_events_per_second": 1e12}, "THROUGHPUT-Threshold-MinEventsPerSecond", "below the minimum"),
        ({"max_p99_ms": 1e-6}, "THROUGHPUT-Threshold-MaxP99Latency", "p99 above the maximum"),
    ],
)
def test_impossible_gates_fail_with_a_clear_message(
    server: BackgroundServer, options: dict, check_id: str, words: str
) -> None:
    ctx = _context(server, events=100, jobs=10, watchers=2, **options)
    try:
        [check] = select(catalogue(), "current", [check_id])
        result = run_check(check, ctx)
    finally:
        ctx.cleanup()
        ctx.close()
    assert result.outcome is Outcome.FAILED
    assert words in result.message and "THROUGHPUT-" in result.message


def test_regression_gate_against_a_baseline(server: BackgroundServer) -> None:
    ids = [f"THROUGHPUT-Replay-{t}" for t in ("GRPC", "REST")]

    def baseline(rate: float) -> RunReport:
        figures = [Figure(i, "replay", rate, "events/s", "") for i in ids]
        return RunReport(
            target={}, profile="current", suite_version="", started="then", finished="", machine={}, figures=figures
        )

    fast = baseline(1e12)
    ctx = _context(server, events=100, jobs=10, watchers=2, max_regression=0.2, baseline=fast)
    try:
        [check] = select(catalogue(), "current", ["THROUGHPUT-Threshold-MaxRegression"])
        result = run_check(check, ctx)
        slow = baseline(1.0)
        ctx.settings = dataclasses.replace(ctx.settings, baseline=slow)
        passing = run_check(check, ctx)
    finally:
        ctx.cleanup()
        ctx.close()
    figures = [f for f in ctx.figures if f.id in ids]
    assert all(len(f.rounds) == 3 for f in figures)  # replay carries its rounds: their spread decides
    steady = [f for f in figures if not f.client_bound and compare_figure(f, fast.figures[0], 0.2).compared]
    if steady:
        assert result.outcome is Outcome.FAILED
        assert "worse than the baseline" in result.message and "dropped from" in result.message
    else:  # every figure client-bound or noisier than the tolerance: judged as the gate judges, not a regression
        assert result.outcome is Outcome.PASSED and "not judged" in result.message
    assert passing.outcome is Outcome.PASSED, passing.message


def test_deployment_defaults_are_small_and_options_go_bigger() -> None:
    small = Workload.from_options({}, embedded=False)
    assert small.events <= 2000 and small.jobs <= 50
    assert Workload.from_options({"events": 500000}, embedded=False).events == 500000
    with pytest.raises(ValueError, match="--watchers"):
        Workload.from_options({"watchers": 0}, embedded=True)


def test_helpers() -> None:
    assert id_key("10") > id_key("9") and id_key("1-0-12") > id_key("1-0-3")
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0
    assert resume_points(400) == [100, 200, 300] and resume_points(2) == [0]
    assert client_bound(90, 100, 0.1) and client_bound(10, 100, 0.95) and not client_bound(10, 100, 0.2)


def test_decode_capacity_probe_reads_the_captured_bytes() -> None:
    log = JobSetLog("q", "js")
    event = protos.message_class("api.EventMessage")()
    for n in range(50):
        event.submitted.job_id = f"job-{n}"
        log.append(event.SerializeToString())
    # what the socket delivered: the events as gRPC messages in HTTP/2 DATA frames, then the trailers
    body = b"".join(b"\0" + len(e).to_bytes(4, "big") + e for e in log.events)
    headers = hpack.Encoder()
    wire = (
        frame(HEADERS, END_HEADERS, 1, headers.encode([(":status", "200"), ("content-type", "application/grpc")]))
        + frame(DATA, 0, 1, body)
        + frame(HEADERS, END_HEADERS | END_STREAM, 1, headers.encode([("grpc-status", "0")]))
    )
    assert decode_capacity(StreamSpec("grpc", "", "q", "js", arrivals=True), [wire[:100], wire[100:]], rounds=1) > 0
    lines = b"".join(b'{"result": {"id": "%d"}}\n' % n for n in range(1, 51))
    assert decode_capacity(StreamSpec("rest", "", "q", "js"), [lines[:77], lines[77:]], rounds=1) > 0


def test_memory_per_stored_event_is_measured_and_reported(server: BackgroundServer) -> None:
    """tracemalloc over filling a job set: Python-side bytes per stored event (printed for the record)."""
    events = 2000
    ctx = _context(server)
    try:
        queue, job_set = ctx.create_queue(cordoned=True), ctx.name("mem")
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        ctx.submit(queue, job_set, count=events // 2)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        ctx.cleanup()
        ctx.close()
    per_event = (after - before) / events
    print(
        f"\nmemory per stored event (tracemalloc, {events} events, client and server in one process): {per_event:.0f} B"
    )
    assert per_event > 0


def test_replay_of_an_existing_job_set_creates_nothing_under_read_only(server: BackgroundServer) -> None:
    owner = _context(server)
    try:
        queue, job_set = owner.create_queue(cordoned=True), owner.name("existing")
        owner.submit(queue, job_set, count=150)
        target = owner.target
        ctx = RunContext(target, read_only=True, settings=RunSettings.given(replay_job_set=f"{queue}/{job_set}"))
        try:
            results = [
                run_check(c, ctx)
                for c in select(catalogue(), "current", ["THROUGHPUT-Replay-*", "THROUGHPUT-FanOut-GRPC"])
            ]
            assert (ctx.created_queues, ctx.created_job_sets) == ([], [])
        finally:
            ctx.close()
        outcomes = {r.id: (r.outcome, r.message) for r in results}
        for transport in ("GRPC", "REST"):
            assert outcomes[f"THROUGHPUT-Replay-{transport}"][0] is Outcome.PASSED, outcomes
        assert outcomes["THROUGHPUT-FanOut-GRPC"][0] is Outcome.SKIPPED  # it would create its own job set
        [figure] = [f for f in ctx.figures if f.id == "THROUGHPUT-Replay-GRPC"]
        assert figure.details["events_per_stream"] == 300 and "--replay-job-set" in figure.details["job_set"]
        with pytest.raises(ConfigError, match="QUEUE/ID"):  # told before anything is sent
            prepare(target, RunOptions(replay_job_set="no-slash"))
    finally:
        owner.cleanup()
        owner.close()


def test_streams_carry_the_targets_client_certificate_authority_and_headers(tmp_path: Path) -> None:
    """What the grpcio and REST clients send (mTLS, --authority, -H) the throughput consumers send too."""
    from conformance.throughput.measure import bench
    from conformance.transport.connection import Connection
    from conformance.transport.grpc_client import TlsSettings

    cert, key = self_signed(["armada.example.com"])
    files = {name: tmp_path / name for name in ("ca.pem", "client.pem", "client.key")}
    for name, content in (("ca.pem", cert), ("client.pem", cert), ("client.key", key)):
        files[name].write_bytes(content)
    target = Target(
        name="deployment",
        grpc="10.0.0.1:50051",
        rest="https://10.0.0.1:8080",
        tls=TlsSettings(
            ca_file=str(files["ca.pem"]), cert_file=str(files["client.pem"]), key_file=str(files["client.key"])
        ),
        connection=Connection(headers=(("x-tenant", "blue"),), authority="armada.example.com:443"),
    )
    ctx = RunContext(target, settings=RunSettings.given(**SMALL))
    try:
        for transport in ("grpc", "rest"):
            spec = bench(ctx).spec(ctx, transport, "q", "js")
            assert (spec.tls, spec.tls_ca_file, spec.tls_cert_file, spec.tls_key_file) == (
                True,
                *(str(files[name]) for name in ("ca.pem", "client.pem", "client.key")),
            )
            assert spec.authority == "armada.example.com:443" and ("x-tenant", "blue") in spec.metadata
    finally:
        ctx.close()
