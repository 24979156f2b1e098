"""What a measurement's streams prove, and the figures' numbers derived from them.

A measurement is only a figure once its streams are proven whole (every event, in
order, no error: ``validate``); ``client_bound`` then says whether the figure
measures the target or only bounds it from below because the consumer (or the
machine) was the limit. Pure functions over ``StreamResult``s, shared by the
workloads (``measure``) and the benchmarks.
"""

from __future__ import annotations

import math
import os
from typing import Any

from conformance.checks import CheckFailed
from conformance.context import RunContext
from conformance.throughput.consumer import StreamResult, TaskResult

CLIENT_BOUND_CAPACITY = 0.8  # measured rate >= 80 % of the client's capacity: a lower bound
CLIENT_BOUND_CPU = 0.9  # consumer running or waiting for a CPU >= 90 % of the time: a lower bound


def resume_points(expected: int) -> list[int]:
    """0-based positions to resume after: a quarter, half and three quarters in (distinct, not the last)."""
    if expected < 2:
        return []
    return sorted({min(expected - 2, max(0, expected * q // 4)) for q in (1, 2, 3)})


def validate(result: StreamResult, expected: int, what: str, may_grow: bool = False) -> None:
    evidence = {
        "expected": expected,
        "received": result.count,
        "first_id": result.first_id,
        "last_id": result.last_id,
        "error": result.error,
    }
    if result.error:
        raise CheckFailed(f"{what} failed after {result.count} of {expected} events: {result.error}", evidence)
    if may_grow and result.count >= expected:
        pass  # someone else's job set: it may have gained events since it was counted
    elif result.count != expected:
        raise CheckFailed(f"{what} delivered {result.count} events; the job set holds {expected}", evidence)
    if not result.increasing:
        raise CheckFailed(f"{what}: message ids out of order: {result.id_problem or 'not increasing'}", evidence)


def checked(transport: str, streams: list[StreamResult]) -> dict[str, Any]:
    """What the consumer verified of each message, for the figure's details."""
    if transport != "grpc":
        return {"verified": "every line parsed (json.loads); ids increasing; exact count"}
    parsed, count = sum(r.parsed for r in streams), sum(r.count for r in streams)
    return {
        "verified": f"every message's id; a full protobuf parse of {parsed} of {count} messages; exact count; "
        "final grpc-status OK",
        "consumer": "h2reader (the suite's own HTTP/2 reader)",
    }


def aggregate_rate(streams: list[StreamResult]) -> float:
    span = max(r.ended for r in streams) - min(r.started for r in streams)
    return sum(r.count for r in streams) / max(span, 1e-9)


def consumer_cpu(task: TaskResult) -> tuple[float, float]:
    """(CPU, waiting for a CPU) of the reading threads, as fractions of the reading time (probe excluded).

    Their sum is how busy the consumer was: the rest of the time it waited for data.
    """
    span = max(max(r.ended for r in task.streams) - min(r.started for r in task.streams), 1e-9)
    return (sum(r.thread_cpu_s for r in task.streams) / span, sum(r.run_delay_s for r in task.streams) / span)


def client_bound(rate: float, capacity: float, busy_fraction: float) -> bool:
    """The client was the limit: at >= 80 % of its own capacity (events per CPU-second of the same
    parsing path on the same bytes), or busy (running, or waiting for a CPU the machine's other
    processes held) >= 90 % of the time, so it was never left waiting for the target's data."""
    return (capacity > 0 and rate >= CLIENT_BOUND_CAPACITY * capacity) or busy_fraction >= CLIENT_BOUND_CPU


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def part_percentiles(in_order: list[float], q: float, parts: int = 3) -> list[float]:
    """The ``q`` percentile of each of ``parts`` consecutive parts of the samples: a figure's rounds.

    One live measurement is one round in time, but its jobs are many samples; the spread
    of the percentile across the thirds of the run says how much of a change is noise
    (a p99 of 50 jobs, 17 per third, spreads widely, and is then not compared). Empty when
    a part would hold fewer than two samples.
    """
    size = len(in_order) // parts
    if size < 2:
        return []
    return [percentile(sorted(in_order[n * size : (n + 1) * size]), q) for n in range(parts)]


def suite_cpu() -> float:
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


def environment(ctx: RunContext) -> dict[str, Any]:
    """What the figure depends on beyond the target: the machine's size and how busy it was."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "target": ctx.target.name,
        "embedded_target": ctx.target.embedded,
        "cpus": os.cpu_count(),
        "load_average_1m": round(load[0], 2),
    }
