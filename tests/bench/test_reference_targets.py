"""The reference server's five performance targets, measured in ONE run on one machine.

1. gRPC replay >= 0.8 x a bare gRPC stream of the same pre-built messages;
2. REST replay >= 1.0 x the reference server's own gRPC replay;
3. 16 concurrent watchers together >= 0.8 x one watcher;
4. memory <= 1 KiB per stored event (tracemalloc and RSS over filling N events);
5. live submit-to-event p99 < 50 ms on loopback at the default pace.

The consumers are the suite's own (``conformance.throughput``: spawned processes,
full decoding), so these are the figures a conformance run would report. Compared
sides are interleaved round by round (bare, gRPC, REST, bare, ...) and each rate is
the median of its rounds, because other work shares the machine. Only ratios are
printed and stored in ``benchmark.extra_info``; nothing is asserted about speed.

Full size: ``ARMADA_BENCH_EVENTS=100000 pytest tests/bench -k targets --benchmark-only -s``;
the normal test run uses 5,000 events.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from bare_server import BareServer

from conformance.context import RunContext
from conformance.settings import RunSettings
from conformance.target import Target
from conformance.throughput.consumer import StreamResult, StreamSpec
from conformance.throughput.measure import FILL_BATCH, bench
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

EVENTS = int(os.environ.get("ARMADA_BENCH_EVENTS", "5000"))
ROUNDS = int(os.environ.get("ARMADA_BENCH_ROUNDS", "3" if EVENTS <= 20000 else "5"))
WATCHERS = 16


@pytest.fixture(scope="module")
def context() -> Iterator[tuple[BackgroundServer, RunContext]]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as server:
        target = Target(
            name="reference server (bench)",
            grpc=server.grpc_target,
            rest=server.rest_url,
            profile="current",
            anonymous_expect="allowed",
            embedded=True,
            consecutive_ids=True,
        )
        ctx = RunContext(target, settings=RunSettings.given(events=EVENTS, watchers=WATCHERS, processes=2))
        try:
            yield server, ctx
        finally:
            ctx.cleanup()
            ctx.close()


def _fill(ctx: RunContext, events: int) -> int:
    """Store about ``events`` events (two per held job) in a fresh job set; return how many."""
    queue, job_set, jobs = ctx.create_queue(cordoned=True), ctx.name("memory"), max(1, events // 2)
    for start in range(0, jobs, FILL_BATCH):
        ctx.submit(queue, job_set, count=min(FILL_BATCH, jobs - start), hold=True)
    return 2 * jobs


def _fill_measuring_memory(server: BackgroundServer, ctx: RunContext) -> tuple[float, float]:
    """(tracemalloc bytes, RSS bytes) per stored event, on two separate fills of N events.

    tracemalloc counts what stays allocated; RSS is what the process really grew by
    (an upper bound: the client's transient garbage in this same process counts too).
    They are separate fills because tracemalloc's own bookkeeping (tens of bytes per
    live block) would otherwise be counted as the store's.
    """
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    stored = _fill(ctx, EVENTS)
    gc.collect()
    rss = process.memory_info().rss - rss_before
    tracemalloc.start()
    traced_before = tracemalloc.get_traced_memory()[0]
    traced_stored = _fill(ctx, EVENTS)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - traced_before
    tracemalloc.stop()
    return traced / traced_stored, rss / stored


def _rate(results: list[StreamResult], expected: int) -> float:
    for result in results:
        assert result.count == expected and result.increasing and not result.error, result.error
    span = max(r.ended for r in results) - min(r.started for r in results)
    return sum(r.count for r in results) / span


@pytest.mark.timeout(3600)  # 100,000 events x 16 watchers takes minutes on a small machine
@pytest.mark.benchmark(group="targets")
def test_reference_targets(benchmark: Any, context: tuple[BackgroundServer, RunContext]) -> None:
    server, ctx = context
    b = bench(ctx)
    traced_per_event, rss_per_event = _fill_measuring_memory(server, ctx)
    replay_set = b.replay_sets(ctx)[0]
    payload = list(server.server.store.job_set(replay_set.queue, replay_set.job_set).log.events)
    workers = b.workers(2)
    expected = replay_set.expected

    def spec(transport: str, address: str) -> StreamSpec:
        return StreamSpec(transport, address, replay_set.queue, replay_set.job_set, timeout=600)

    rates: dict[str, list[float]] = {"bare": [], "grpc": [], "rest": [], "fan": []}
    with BareServer(payload) as bare:
        sides = {
            "bare": spec("grpc", f"127.0.0.1:{bare.port}"),
            "grpc": spec("grpc", server.grpc_target),
            "rest": spec("rest", server.rest_url),
        }
        for side in sides.values():  # warm up every path (channels, caches) before timing
            workers.run([[side]], 600)

        def one_round() -> None:
            for name, side in sides.items():
                rates[name].append(_rate(workers.run([[side]], 600)[0].streams, expected))
            start_at = time.monotonic() + 0.5
            fan = [
                StreamSpec(
                    "grpc", server.grpc_target, replay_set.queue, replay_set.job_set, timeout=600, start_at=start_at
                )
                for _ in range(WATCHERS)
            ]
            tasks = workers.run([fan[0::2], fan[1::2]], 900)
            rates["fan"].append(_rate([s for t in tasks for s in t.streams], expected))

        benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    live = b.measure(ctx, "live", "grpc").figures
    p99 = next(f for f in live if f.id.endswith("-p99"))
    median = {name: statistics.median(values) for name, values in rates.items()}
    rows = [
        ("gRPC replay / bare gRPC stream", median["grpc"], median["bare"], 0.8),
        ("REST replay / reference gRPC replay", median["rest"], median["grpc"], 1.0),
        (f"{WATCHERS} watchers together / one watcher", median["fan"], median["grpc"], 0.8),
    ]
    lines = [
        f"\nreference-server targets: {expected} events, {ROUNDS} interleaved rounds, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}",
        f"{'target':44} {'measured':>12} {'against':>12} {'ratio':>7} {'goal':>6}  met",
    ]
    extra: dict[str, Any] = {"events": expected, "rounds": ROUNDS}
    for label, value, against, goal in rows:
        ratio = value / against
        met = "yes" if ratio >= goal else "NO"
        lines.append(f"{label:44} {value:12,.0f} {against:12,.0f} {ratio:7.3f} {goal:>6}  {met}")
        extra[label] = round(ratio, 3)
    met = "yes" if max(traced_per_event, rss_per_event) <= 1024 else "NO"
    lines.append(
        f"{'memory per stored event (tracemalloc / RSS)':44} {traced_per_event:11,.0f}B "
        f"{rss_per_event:11,.0f}B {'':7} {'1024':>6}  {met}"
    )
    lines.append(
        f"{'live submit-to-event p99 (ms)':44} {p99.value:12.2f} {'':12} {'':7} {'<50':>6}  "
        f"{'yes' if p99.value < 50 else 'NO'}"
    )
    print("\n".join(lines))
    extra.update(
        {
            "events_per_s": {k: round(v) for k, v in median.items()},
            "memory_traced_bytes_per_event": round(traced_per_event),
            "memory_rss_bytes_per_event": round(rss_per_event),
            "live_p99_ms": p99.value,
        }
    )
    benchmark.extra_info.update(extra)
    assert all(v > 0 for v in median.values()) and p99.value > 0
