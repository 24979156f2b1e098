"""Replay throughput: GetJobSetEvents (watch=false) of the reference server next to a bare gRPC stream.

N events are stored in one job set of a reference server (jobs submitted over gRPC in
big batches to a cordoned queue: a ``submitted`` and a ``queued`` event per job). A
bare ``grpc.aio`` server, on its own loop in a background thread exactly like the
reference server, streams the very same serialized ``EventStreamMessage`` bytes under
the same method name. One client function (``replay_client.replay``, in a worker
process, so client and servers do not fight over one GIL) reads both, parsing every
message; the rounds alternate bare / reference so drift in the machine affects both
alike, and each rate is the event count over the median replay time.

Run alone, full size::

    ARMADA_BENCH_EVENTS=100000 pytest tests/bench --benchmark-only

In the normal test run N defaults to 20,000 to keep the suite fast. The rates and
their ratio go to ``benchmark.extra_info``; no wall-clock threshold is asserted.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import grpc
import pytest
import replay_client
from bare_server import BareServer

import protos
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

QUEUE, JOB_SET = "bench", "replay"
EVENTS = int(os.environ.get("ARMADA_BENCH_EVENTS", "20000"))
ROUNDS = int(os.environ.get("ARMADA_BENCH_ROUNDS", "3" if EVENTS <= 20000 else "5"))
BATCH = 5000
JobSetRequest = protos.message_class("api.JobSetRequest")
EventStreamMessage = protos.message_class("api.EventStreamMessage")


def fill(server: BackgroundServer, events: int) -> list[bytes]:
    """Store ``events`` events in one job set; return their stored wire bytes."""
    submit = protos.message_class("api.JobSubmitRequest")
    pod = protos.message_class("k8s.io.api.core.v1.PodSpec")()
    container = pod.containers.add(name="main", image="busybox:1.36", command=["sleep", "10"])
    container.resources.requests["cpu"].string = "100m"
    with grpc.insecure_channel(server.grpc_target) as channel:
        create = channel.unary_unary(
            "/api.Submit/CreateQueue",
            request_serializer=protos.message_class("api.Queue").SerializeToString,
            response_deserializer=lambda b: b,
        )
        create(protos.message_class("api.Queue")(name=QUEUE, cordoned=True), timeout=30)
        send = channel.unary_unary(
            "/api.Submit/SubmitJobs", request_serializer=submit.SerializeToString, response_deserializer=lambda b: b
        )
        jobs = events // 2  # a cordoned queue holds jobs: submitted + queued, two events each
        for start in range(0, jobs, BATCH):
            request = submit(queue=QUEUE, job_set_id=JOB_SET)
            for _ in range(min(BATCH, jobs - start)):
                request.job_request_items.add(priority=1, namespace="default", pod_spec=pod)
            send(request, timeout=120)
    stored = server.server.store.job_set(QUEUE, JOB_SET).log.events
    return list(stored)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[BackgroundServer, BareServer]]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as reference:
        payload = fill(reference, EVENTS)
        with BareServer(payload) as bare:
            yield reference, bare


@pytest.fixture(scope="module")
def worker() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.mark.benchmark(group="replay")
def test_replay_rate_against_bare_grpc(
    benchmark: Any, servers: tuple[BackgroundServer, BareServer], worker: ProcessPoolExecutor
) -> None:
    reference, bare = servers
    count = len(reference.server.store.job_set(QUEUE, JOB_SET).log.events)
    assert count == EVENTS - EVENTS % 2
    bare_target = f"127.0.0.1:{bare.port}"

    def run(target: str) -> tuple[int, str, bool, float]:
        return worker.submit(replay_client.replay, target, QUEUE, JOB_SET).result(timeout=600)

    assert run(bare_target)[:3] == (count, str(count), True)  # warm both up, and check them
    assert run(reference.grpc_target)[:3] == (count, str(count), True)
    bare_times: list[float] = []
    ref_times: list[float] = []

    def bare_round() -> None:  # untimed by pytest-benchmark: runs before each reference round
        outcome = run(bare_target)
        assert outcome[:3] == (count, str(count), True)
        bare_times.append(outcome[3])

    def reference_round() -> tuple[int, str, bool]:
        outcome = run(reference.grpc_target)
        ref_times.append(outcome[3])
        return outcome[:3]

    result = benchmark.pedantic(reference_round, setup=bare_round, rounds=ROUNDS, iterations=1)
    assert result == (count, str(count), True)
    bare_rate = count / statistics.median(bare_times)
    ref_rate = count / statistics.median(ref_times)
    benchmark.extra_info.update(
        {
            "events": count,
            "rounds": ROUNDS,
            "reference_events_per_s": round(ref_rate),
            "bare_events_per_s": round(bare_rate),
            "ratio": round(ref_rate / bare_rate, 3),
        }
    )
    print(
        f"\nreplay of {count} events: reference {ref_rate:,.0f}/s, bare gRPC {bare_rate:,.0f}/s, "
        f"ratio {ref_rate / bare_rate:.3f}"
    )
    assert bare_rate > 0 and ref_rate > 0
