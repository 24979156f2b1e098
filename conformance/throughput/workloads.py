"""The four workloads a Bench measures (replay, live, fan-out, resume) and the figures each gives.

Each is a plain function of the run's ``Bench`` (consumer processes, replay job sets,
stream settings), the context and a transport, returning a ``Measurement``; the Bench
picks one from ``WORKLOADS`` and memoises what it returns. Every workload validates
what it read before it makes a figure: all events came, ids increase, no stream failed.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time

from conformance import activity
from conformance.checks import CheckFailed
from conformance.context import RunContext
from conformance.results import Figure
from conformance.throughput.consumer import StreamResult, TaskResult
from conformance.throughput.measure import START_MARGIN_S, Bench, Measurement
from conformance.throughput.verdict import (
    aggregate_rate,
    checked,
    client_bound,
    consumer_cpu,
    environment,
    part_percentiles,
    percentile,
    resume_points,
    suite_cpu,
    validate,
)
from conformance.throughput.workers import spread

# ---- replay --------------------------------------------------------------------


def replay(bench: Bench, ctx: RunContext, transport: str) -> Measurement:
    """Read a stored job set from its start (watch=false), three rounds; the median round is the figure."""
    sets = [bench.count_existing(ctx, transport)] if bench.existing else bench.replay_sets(ctx)
    workers = bench.workers(len(sets))
    cuts = resume_points(sets[0].expected)
    rounds = 3

    def step() -> tuple[list[TaskResult], float, float]:
        start_at = time.monotonic() + START_MARGIN_S
        groups = [
            [
                bench.spec(
                    ctx,
                    transport,
                    s.queue,
                    s.job_set,
                    start_at=start_at,
                    capture=True,
                    ids_at=tuple(c for cut in cuts for c in (cut, cut + 1)),
                )
            ]
            for s in sets
        ]
        before = suite_cpu()
        tasks = workers.run(groups, 600)
        for s, t in zip(sets, tasks, strict=True):
            validate(t.streams[0], s.expected, f"{transport} replay of job set {s.job_set!r}", s.existing)
        return tasks, suite_cpu() - before, time.monotonic() - start_at

    rounds_out = []
    for n in range(rounds):
        activity.phase(f"{transport} replay round", n, rounds)
        rounds_out.append(step())
    rates, per_round = [], []
    for tasks, _suite_cpu_s, _ in rounds_out:
        streams = [t.streams[0] for t in tasks]
        rates.append(aggregate_rate(streams))
        per_round.append(streams)
    median_round = sorted(range(rounds), key=lambda n: rates[n])[rounds // 2]
    tasks, suite_cpu_s, wall = rounds_out[median_round]
    streams = per_round[median_round]
    rate = rates[median_round]
    capacity = sum(r.capacity_eps for r in streams)
    cpu, waiting = max(consumer_cpu(t) for t in tasks)
    bound = client_bound(rate, capacity, cpu + waiting)
    details = {
        "events_per_stream": sets[0].expected,
        "processes": len(sets),
        "rounds": rounds,
        "job_set": f"{sets[0].queue}/{sets[0].job_set}" + (" (--replay-job-set)" if sets[0].existing else ""),
        "rates_per_round": [round(r) for r in rates],
        "decode_capacity_eps": round(capacity),
        "consumer_cpu_fraction": round(cpu, 3),
        "consumer_waiting_for_cpu_fraction": round(waiting, 3),
        "suite_process_cpu_fraction": round(suite_cpu_s / wall, 3),
        **checked(transport, streams),
        "time_to_first_event_ms": round(1000 * statistics.median(r.first_at - r.started for r in streams), 3),
        "bytes_per_event": round(sum(r.payload_bytes for r in streams) / max(1, sum(r.count for r in streams)), 1),
        **environment(ctx),
    }
    name = f"replay events/s over {transport} (watch=false, {sets[0].expected} events"
    name += f" x {len(sets)} processes)" if len(sets) > 1 else ")"
    figure = Figure(
        f"THROUGHPUT-Replay-{transport.upper()}",
        name,
        round(rate, 1),
        "events/s",
        transport,
        bound,
        details,
        rounds=[round(r, 1) for r in rates],  # its spread decides whether a baseline comparison counts
    )
    return Measurement(
        [figure],
        {"rate": rate, "ids": streams[0].ids_at, "cuts": cuts, "ttfe_s": streams[0].first_at - streams[0].started},
    )


# ---- live ----------------------------------------------------------------------


def live(bench: Bench, ctx: RunContext, transport: str) -> Measurement:
    """Submit jobs at a stated pace while a watcher reads; latency from each SubmitJobs to its `submitted` event."""
    w = bench.workload
    # a cordoned queue: each job makes two events (submitted, queued) at the stated pace, and none runs
    queue, job_set = ctx.create_queue(cordoned=True), ctx.name("live")
    primer = ctx.submit(queue, job_set, count=1)  # the watcher is ready once it sees this job
    ready = bench.ready_path()
    spec = dataclasses.replace(
        bench.spec(
            ctx,
            transport,
            queue,
            job_set,
            work=2 * w.jobs,
            watch=True,
            arrivals=True,
            capture=True,
            ready_path=str(ready),
            stop_after_submitted=w.jobs + len(primer),
        ),
        timeout=3 * ctx.target.timeout + w.jobs * w.submit_interval_ms / 1000 / w.batch_size,
    )
    workers = bench.workers(1)
    batches: list[tuple[float, list[str]]] = []

    def step() -> TaskResult:
        future = workers.submit([spec])
        deadline = time.monotonic() + 30
        while not ready.exists():
            if future.done() or time.monotonic() > deadline:
                outcome = future.result(timeout=30).streams[0]
                raise CheckFailed(
                    f"the {transport} watcher never saw the primer job's events",
                    {"error": outcome.error, "received": outcome.count},
                )
            time.sleep(0.002)
        interval = w.submit_interval_ms / 1000
        next_at = time.monotonic()
        for start in range(0, w.jobs, w.batch_size):
            activity.phase(f"{transport} live: jobs submitted", start, w.jobs)
            time.sleep(max(0.0, next_at - time.monotonic()))
            sent = time.monotonic()
            batches.append((sent, ctx.submit(queue, job_set, count=min(w.batch_size, w.jobs - start))))
            next_at = sent + interval
        return future.result(timeout=spec.timeout + 30)

    task = step()
    result = task.streams[0]
    sent_at = {job: at for at, jobs in batches for job in jobs}
    missing = sorted(set(sent_at) - set(result.submitted))
    if result.error or missing or not result.increasing:
        raise CheckFailed(
            f"live {transport} watch: {len(missing)} of {len(sent_at)} submitted jobs never showed a submitted "
            f"event"
            + (f"; the stream failed: {result.error}" if result.error else "")
            + ("" if result.increasing else "; ids did not increase"),
            {"missing_jobs": missing[:10], "received": result.count, "error": result.error},
        )
    in_order = [(result.submitted[j] - at) * 1000 for j, at in sorted(sent_at.items(), key=lambda item: item[1])]
    latencies = sorted(in_order)
    first_sent = batches[0][0]
    window = [t for t in result.arrival_times if t >= first_sent]
    span = max(max(window) - first_sent, 1e-9)
    rate = len(window) / span
    cpu, waiting = consumer_cpu(task)
    bound = client_bound(rate, result.capacity_eps, cpu + waiting)
    details = {
        "jobs": w.jobs,
        "batch_size": w.batch_size,
        "submit_interval_ms": w.submit_interval_ms,
        "events_received": len(window),
        "decode_capacity_eps": round(result.capacity_eps),
        "consumer_cpu_fraction": round(cpu, 3),
        "consumer_waiting_for_cpu_fraction": round(waiting, 3),
        "latency_ms_max": round(latencies[-1], 3),
        **environment(ctx),
    }
    prefix, label = f"THROUGHPUT-Live-{transport.upper()}", f"live over {transport}"
    figures = [
        Figure(prefix, f"{label}: events/s while submitting", round(rate, 1), "events/s", transport, bound, details)
    ]
    for q in (50, 95, 99):
        figures.append(
            Figure(
                f"{prefix}-p{q}",
                f"{label}: submit-to-event latency p{q}",
                round(percentile(latencies, q), 3),
                "ms",
                transport,
                bound,
                {"samples": len(latencies), "rounds": "the percentile of each third of the jobs, in submit order"},
                rounds=[round(v, 3) for v in part_percentiles(in_order, q)],  # its spread: noise or regression
            )
        )
    ttfe = (min(result.submitted[j] for j in sent_at) - first_sent) * 1000
    figures.append(
        Figure(
            f"{prefix}-first-event",
            f"{label}: first SubmitJobs to first event",
            round(ttfe, 3),
            "ms",
            transport,
            bound,
            {},
        )
    )
    return Measurement(figures, {"p99_ms": percentile(latencies, 99), "rate": rate})


# ---- fan-out -------------------------------------------------------------------


def fanout(bench: Bench, ctx: RunContext, transport: str) -> Measurement:
    """Many watchers read the same stored job set at once: the rate together and per watcher."""
    single = bench.measure(ctx, "replay", transport).details["rate"] / max(1, bench.workload.processes)
    target_set = bench.replay_sets(ctx)[0]
    k, processes = bench.workload.watchers, bench.workload.processes
    workers = bench.workers(processes)

    def step() -> list[TaskResult]:
        start_at = time.monotonic() + START_MARGIN_S + 0.02 * k
        per_process = math.ceil(k / processes) * target_set.expected
        specs = [
            bench.spec(
                ctx,
                transport,
                target_set.queue,
                target_set.job_set,
                work=per_process,
                start_at=start_at,
                capture=n == 0,
            )
            for n in range(k)
        ]
        return workers.run(spread(specs, processes), 900)

    tasks = step()
    streams = [s for t in tasks for s in t.streams]
    for n, r in enumerate(streams):
        validate(r, target_set.expected, f"{transport} fan-out watcher {n + 1} of {k}")
    aggregate = aggregate_rate(streams)
    per_watcher = statistics.median(r.count / r.seconds for r in streams)
    capacity = streams[0].capacity_eps * len(tasks)
    cpu, waiting = max(consumer_cpu(t) for t in tasks)
    bound = client_bound(aggregate, capacity, cpu + waiting)
    details = {
        "watchers": k,
        "processes": len(tasks),
        "events_per_watcher": target_set.expected,
        "per_watcher_eps": round(per_watcher),
        "single_watcher_eps": round(single),
        "ratio_to_single_watcher": round(aggregate / max(single, 1e-9), 3),
        "decode_capacity_eps": round(capacity),
        "consumer_cpu_fraction": round(cpu, 3),
        "consumer_waiting_for_cpu_fraction": round(waiting, 3),
        **checked(transport, streams),
        **environment(ctx),
    }
    prefix = f"THROUGHPUT-FanOut-{transport.upper()}"
    figures = [
        Figure(
            prefix,
            f"{k} concurrent watchers over {transport}: events/s together",
            round(aggregate, 1),
            "events/s",
            transport,
            bound,
            details,
        ),
        Figure(
            f"{prefix}-per-watcher",
            f"{k} concurrent watchers over {transport}: events/s each",
            round(per_watcher, 1),
            "events/s",
            transport,
            bound,
            {},
        ),
    ]
    return Measurement(figures, {"rate": aggregate})


# ---- resume --------------------------------------------------------------------


def resume(bench: Bench, ctx: RunContext, transport: str) -> Measurement:
    """Reconnect with from_message_id: the time to the first event after the resume point."""
    replay = bench.measure(ctx, "replay", transport).details
    target_set = bench.replay_sets(ctx)[0]
    ids, cuts = replay["ids"], replay["cuts"]
    workers = bench.workers(1)

    def step() -> list[StreamResult]:
        specs = [
            bench.spec(ctx, transport, target_set.queue, target_set.job_set, from_message_id=ids[cut]) for cut in cuts
        ]
        out = []
        for cut, spec in zip(cuts, specs, strict=True):
            out.append(workers.run([[spec]], 600)[0].streams[0])
            what = f"{transport} resume after message {ids[cut]!r} (position {cut + 1} of {target_set.expected})"
            validate(out[-1], target_set.expected - cut - 1, what)
        return out

    results = step()
    costs = []
    for cut, r in zip(cuts, results, strict=True):
        what = f"{transport} resume after message {ids[cut]!r}"
        if r.first_id != ids.get(cut + 1):
            raise CheckFailed(
                f"{what} began at {r.first_id!r}, expected the next message {ids.get(cut + 1)!r}",
                {"first_id": r.first_id, "expected": ids.get(cut + 1)},
            )
        costs.append((r.first_at - r.started) * 1000)
    fresh_ms = replay["ttfe_s"] * 1000
    details = {
        "resume_points": [cut + 1 for cut in cuts],
        "time_to_first_event_ms": [round(c, 3) for c in costs],
        "fresh_stream_time_to_first_event_ms": round(fresh_ms, 3),
        "remainder_eps": [round(r.count / r.seconds) for r in results],
        **environment(ctx),
    }
    figure = Figure(
        f"THROUGHPUT-Resume-{transport.upper()}",
        f"reconnect over {transport} with from_message_id: time to first event",
        round(statistics.median(costs), 3),
        "ms",
        transport,
        False,
        details,
    )
    return Measurement([figure], {})


WORKLOADS = {"replay": replay, "live": live, "fanout": fanout, "resume": resume}
