"""What each Locust process tells at the end, and what the master writes for the command.

A worker's *summary* is its own account: every watcher's tally, every submitted job,
its CPU, and whether it was client-bound, judged with the THROUGHPUT consumers' rule
(``verdict.client_bound``: its event rate near its own decode capacity, or its one
thread busy or waiting for a CPU >= 90 % of the time). The master keeps the summaries it
receives and, when Locust quits (its stats then final), writes the *result*: the
summaries, Locust's own aggregated entries, and how many expected workers never reported.
"""

from __future__ import annotations

import json
import os
import random
import socket
import time
from typing import Any

from conformance.load.settings import LoadPlan
from conformance.load.tally import WatchTally, grpc_event
from conformance.load.users import EVENT, WorkerState
from conformance.throughput.consumer import thread_clock
from conformance.throughput.verdict import client_bound

SUMMARY_MESSAGE = "armada_load_summary"
MAX_LATENCIES = 50_000  # latency samples a worker sends (uniformly thinned beyond)


def start_clock(state: WorkerState) -> None:
    state.started = time.monotonic()
    state.clock = thread_clock()


def worker_summary(state: WorkerState, node: str) -> dict[str, Any]:
    """This process's account of the run, sent to the master (or kept, when Locust runs alone)."""
    cpu, waiting = thread_clock()
    cpu, waiting = cpu - state.clock[0], waiting - state.clock[1]
    wall = max(time.monotonic() - state.started, 1e-9)
    watchers = [w.summary() for w in state.watchers]
    events = sum(w["count"] for w in watchers)
    rate = events / wall
    capacity = decode_capacity(state.plan, state.captured)
    busy = (cpu + waiting) / wall
    latencies = [
        pair for w in state.watchers for pair in zip(w.tally.latency_seconds, w.tally.latencies_ms, strict=True)
    ]
    if len(latencies) > MAX_LATENCIES:
        latencies = random.Random(0).sample(latencies, MAX_LATENCIES)
    return {
        "node": node,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "watchers": watchers,
        "events": events,
        "submitted": dict(state.submitted),
        "submit_errors": state.submit_errors,
        "seconds": round(wall, 3),
        "events_per_second": round(rate, 1),
        "cpu_fraction": round(cpu / wall, 3),
        "waiting_for_cpu_fraction": round(waiting / wall, 3),
        "decode_capacity_eps": round(capacity),
        "client_bound": client_bound(rate, capacity, busy),
        "latencies_ms": [round(ms, 3) for _, ms in latencies],
        "latency_seconds": [second for second, _ in latencies],
        "events_by_second": {str(second): n for second, n in sorted(state.per_second.items())},
    }


def decode_capacity(plan: LoadPlan, captured: list[bytes], rounds: int = 3) -> float:
    """Events per CPU-second of a watcher's per-event path (parse, checks, Locust's stats) on received messages.

    From memory, on the messages the first gRPC watcher kept: the fastest this process
    can take events; 0 when it kept none (REST only, or nothing came).
    """
    if not captured:
        return 0.0
    from locust.stats import RequestStats

    import protos

    parse = protos.message_class("api.EventStreamMessage").FromString
    best = 0.0
    for _ in range(rounds):
        tally, stats = WatchTally(plan.consecutive_ids, plan.strict_jobs), RequestStats()
        started = time.thread_time()
        now = time.time()
        for raw in captured:
            message_id, kind, job_id, stamp = grpc_event(raw, parse)
            tally.event(message_id, kind, job_id, stamp, now)
            stats.log_request("WATCH-GRPC", EVENT, 0, len(raw))
        best = max(best, len(captured) / max(time.thread_time() - started, 1e-9))
    return best


def locust_entries(stats: Any) -> list[dict[str, Any]]:
    """Locust's aggregated entries (the master's, once every worker's final report came)."""
    rows = []
    for entry in stats.entries.values():
        rows.append(
            {
                "type": entry.method,
                "name": entry.name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "rps": round(entry.total_rps, 2),
                "p50_ms": entry.get_response_time_percentile(0.5) if entry.num_requests else 0,
                "p95_ms": entry.get_response_time_percentile(0.95) if entry.num_requests else 0,
                "p99_ms": entry.get_response_time_percentile(0.99) if entry.num_requests else 0,
                "max_ms": entry.max_response_time if entry.num_requests else 0,
            }
        )
    return rows


def locust_errors(stats: Any, limit: int = 20) -> list[dict[str, Any]]:
    rows = sorted(stats.errors.values(), key=lambda e: -e.occurrences)[:limit]
    return [{"type": e.method, "name": e.name, "error": str(e.error)[:300], "occurrences": e.occurrences} for e in rows]


def write_result(path: str, plan: LoadPlan, summaries: list[dict[str, Any]], stats: Any, started: float) -> None:
    """The master's result, for the command (which makes the report of it)."""
    result = {
        "plan": json.loads(plan.to_json()),
        "summaries": summaries,
        "missing_workers": max(0, plan.expected_workers - len(summaries)),
        "locust": locust_entries(stats),
        "locust_errors": locust_errors(stats),
        "seconds": round(time.time() - started, 3),
    }
    tmp = f"{path}.tmp"
    with open(tmp, "w") as out:
        json.dump(result, out)
    os.replace(tmp, path)
