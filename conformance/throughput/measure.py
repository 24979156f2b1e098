"""The four workloads (replay, live, fan-out, resume) and the figures they produce.

One ``Bench`` per run, kept on the context (``bench(ctx)``): it owns the consumer
processes and the replay job sets, and memoises each measurement, so a gate check
that needs a figure reuses the measurement check's figure (or measures it, if run
alone with ``--only``). Every measurement validates what it read: all events came,
ids increase, no stream failed; a measurement that read wrong data raises
``CheckFailed`` rather than produce a figure.

When the suite runs under pytest, the check's ``benchmark`` fixture (set on the
context by the suite's test function) times the central step of the first
measurement the check makes, so pytest-benchmark's table and JSON carry it too;
the figures themselves come from the consumers' own clocks.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.checks import CheckFailed
from conformance.context import RunContext
from conformance.results import Figure
from conformance.throughput.consumer import StreamResult, StreamSpec, TaskResult
from conformance.throughput.settings import Gates, Workload
from conformance.throughput.verdict import (
    aggregate_rate,
    checked,
    client_bound,
    consumer_cpu,
    environment,
    existing_job_set,
    percentile,
    resume_points,
    suite_cpu,
    validate,
)
from conformance.throughput.workers import Workers, spread

FILL_BATCH = 1000  # jobs per SubmitJobs when filling a replay job set
START_MARGIN_S = 0.3  # consumers start together this long after dispatch
PARSE_EVERY = 8  # gRPC replay and fan-out: fully parse one message in this many (ids: every one)
MIN_RATE_EPS = 300  # overall stream deadlines assume at least this many events/s per process
TRANSPORTS = ("grpc", "rest")


@dataclass
class ReplaySet:
    queue: str
    job_set: str
    expected: int
    existing: bool = False  # named with --replay-job-set: not ours, may still grow, never touched


@dataclass
class Measurement:
    figures: list[Figure]
    details: dict[str, Any] = field(default_factory=dict)


def bench(ctx: RunContext) -> Bench:
    """The run's Bench, created on first use and closed with the context."""
    if ctx.throughput_bench is None:
        ctx.throughput_bench = Bench(ctx)
        ctx.closers.append(ctx.throughput_bench.close)
    return ctx.throughput_bench


class Bench:
    def __init__(self, ctx: RunContext) -> None:
        self.workload = Workload.from_options(ctx.options, ctx.target.embedded)
        self.gates = Gates.from_options(ctx.options)
        self._workers: Workers | None = None
        self._replay_sets: list[ReplaySet] | None = None
        self._replay_error: CheckFailed | None = None
        self._memo: dict[tuple[str, str], Measurement] = {}
        self._failed: dict[tuple[str, str], CheckFailed] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="armada-throughput-")
        self._ready_counter = 0
        self.existing = existing_job_set(ctx.options.get("replay_job_set"))

    # ---- plumbing ------------------------------------------------------------------

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None
        self._tmp.cleanup()

    def workers(self, processes: int) -> Workers:
        if self._workers is None or self._workers.processes < processes:
            if self._workers is not None:
                self._workers.close()
            self._workers = Workers(max(processes, self.workload.processes))
        return self._workers

    def _address(self, ctx: RunContext, transport: str) -> str:
        return ctx.target.grpc if transport == "grpc" else ctx.require_rest().base_url

    def spec(
        self, ctx: RunContext, transport: str, queue: str, job_set: str, work: int = 0, **fields: Any
    ) -> StreamSpec:
        """A stream of this run's target; ``work``: events its consumer process reads in all.

        A stream fails when no byte came for twice the call timeout (an idle timeout,
        so a flowing stream on a busy machine is never cut short); the overall
        deadline only guards against a server that trickles for ever, and grows with
        the work of the process.
        """
        tls = ctx.target.tls
        work = work or self.workload.events
        return StreamSpec(
            transport,
            self._address(ctx, transport),
            queue,
            job_set,
            metadata=tuple(ctx.target.connection.merged(ctx.metadata())),  # -H headers too
            timeout=3 * ctx.target.timeout + work / MIN_RATE_EPS,
            idle_timeout=max(2.0, 2 * ctx.target.timeout),
            consecutive_ids=ctx.target.embedded,
            parse_every=PARSE_EVERY,
            tls=tls is not None,
            tls_ca_file=tls.ca_file if tls else None,
            tls_insecure=bool(tls and tls.insecure),
            tls_cert_file=tls.cert_file if tls else None,
            tls_key_file=tls.key_file if tls else None,
            authority=ctx.target.connection.authority,
            **fields,
        )

    def measure(self, ctx: RunContext, kind: str, transport: str) -> Measurement:
        """The memoised measurement ``kind`` over ``transport``; its figures go to ``ctx.figures``."""
        key = (kind, transport)
        if key in self._failed:
            raise self._failed[key]
        if key not in self._memo:
            if transport == "rest":
                ctx.require_rest()
            if not (kind == "replay" and self.existing):
                ctx.require_mutation()
            method = {"replay": self._replay, "live": self._live, "fanout": self._fanout, "resume": self._resume}[kind]
            try:
                measurement = method(ctx, transport)
            except CheckFailed as exc:  # a gate or a later workload asking again gets the same verdict
                self._failed[key] = exc
                raise
            self._memo[key] = measurement
            ctx.figures.extend(measurement.figures)
        return self._memo[key]

    def _timed(self, ctx: RunContext, step: Callable[[], Any], rounds: int) -> list[Any]:
        """Run ``step`` ``rounds`` times; under pytest-benchmark, it times the rounds."""
        outcomes: list[Any] = []

        def once() -> None:
            outcomes.append(step())

        benchmark = ctx.benchmark
        if benchmark is not None:
            ctx.benchmark = None  # a fixture times one thing per test
            benchmark.pedantic(once, rounds=rounds, iterations=1)
        else:
            for _ in range(rounds):
                once()
        return outcomes

    # ---- workload ------------------------------------------------------------------

    def replay_sets(self, ctx: RunContext) -> list[ReplaySet]:
        """One job set of ``events`` events per consumer process, in a cordoned queue of this run.

        Jobs of a cordoned queue stay queued (two events each: submitted, queued)
        and are cancelled at cleanup, so nothing ever runs on a real cluster.
        """
        if self._replay_error is not None:
            raise self._replay_error
        if self._replay_sets is None:
            ctx.require_mutation()
            queue = ctx.create_queue(cordoned=True)
            jobs = max(1, math.ceil(self.workload.events / 2))
            sets = []
            for _ in range(self.workload.processes):
                job_set = ctx.name("replay")
                for start in range(0, jobs, FILL_BATCH):
                    ctx.submit(queue, job_set, count=min(FILL_BATCH, jobs - start))
                sets.append(ReplaySet(queue, job_set, 2 * jobs))
            try:
                self._settle(ctx, sets)
            except CheckFailed as exc:  # every workload on these sets fails the same way, at once
                self._replay_error = exc
                raise
            self._replay_sets = sets
        return self._replay_sets

    def _settle(self, ctx: RunContext, sets: list[ReplaySet]) -> None:
        """Wait (bounded) until every set holds its events: a real server stores them asynchronously."""
        deadline = time.monotonic() + 3 * ctx.target.timeout
        workers = self.workers(1)
        while True:
            results = [
                workers.run([[self.spec(ctx, "grpc", s.queue, s.job_set, expect=s.expected)]], 300)[0].streams[0]
                for s in sets
            ]
            short = [(s, r) for s, r in zip(sets, results, strict=True) if r.count < s.expected]
            if not short:
                return
            if time.monotonic() > deadline:
                s, r = short[0]
                raise CheckFailed(
                    f"job set {s.job_set!r} holds {r.count} events after its {s.expected // 2} jobs "
                    f"were accepted; expected {s.expected} (submitted and queued per job)",
                    {"error": r.error, "expected": s.expected, "received": r.count},
                )
            time.sleep(0.5)

    def _count_existing(self, ctx: RunContext, transport: str) -> ReplaySet:
        """The --replay-job-set, read once in full: its event count is what every round must deliver (or more)."""
        assert self.existing is not None
        queue, job_set = self.existing
        result = self.workers(1).run([[self.spec(ctx, transport, queue, job_set)]], 3600)[0].streams[0]
        if result.error or not result.count:
            raise CheckFailed(
                f"cannot replay job set {job_set!r} of queue {queue!r} (--replay-job-set) over "
                f"{transport}: " + (result.error or "it holds no events"),
                {"error": result.error, "received": result.count},
            )
        return ReplaySet(queue, job_set, result.count, existing=True)

    # ---- replay --------------------------------------------------------------------

    def _replay(self, ctx: RunContext, transport: str) -> Measurement:
        sets = [self._count_existing(ctx, transport)] if self.existing else self.replay_sets(ctx)
        workers = self.workers(len(sets))
        cuts = resume_points(sets[0].expected)
        rounds = 3

        def step() -> tuple[list[TaskResult], float, float]:
            start_at = time.monotonic() + START_MARGIN_S
            groups = [
                [
                    self.spec(
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

        rounds_out = self._timed(ctx, step, rounds)
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
            f"THROUGHPUT-Replay-{transport.upper()}", name, round(rate, 1), "events/s", transport, bound, details
        )
        return Measurement(
            [figure],
            {"rate": rate, "ids": streams[0].ids_at, "cuts": cuts, "ttfe_s": streams[0].first_at - streams[0].started},
        )

    # ---- live ----------------------------------------------------------------------

    def _live(self, ctx: RunContext, transport: str) -> Measurement:
        w = self.workload
        # a cordoned queue: each job makes two events (submitted, queued) at the stated pace, and none runs
        queue, job_set = ctx.create_queue(cordoned=True), ctx.name("live")
        primer = ctx.submit(queue, job_set, count=1)  # the watcher is ready once it sees this job
        self._ready_counter += 1
        ready = Path(self._tmp.name) / f"ready-{self._ready_counter}"
        spec = dataclasses.replace(
            self.spec(
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
        workers = self.workers(1)
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
                time.sleep(max(0.0, next_at - time.monotonic()))
                sent = time.monotonic()
                batches.append((sent, ctx.submit(queue, job_set, count=min(w.batch_size, w.jobs - start))))
                next_at = sent + interval
            return future.result(timeout=spec.timeout + 30)

        task = self._timed(ctx, step, 1)[0]
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
        latencies = sorted((result.submitted[j] - at) * 1000 for j, at in sent_at.items())
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
                    {"samples": len(latencies)},
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

    def _fanout(self, ctx: RunContext, transport: str) -> Measurement:
        single = self.measure(ctx, "replay", transport).details["rate"] / max(1, self.workload.processes)
        target_set = self.replay_sets(ctx)[0]
        k, processes = self.workload.watchers, self.workload.processes
        workers = self.workers(processes)

        def step() -> list[TaskResult]:
            start_at = time.monotonic() + START_MARGIN_S + 0.02 * k
            per_process = math.ceil(k / processes) * target_set.expected
            specs = [
                self.spec(
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

        tasks = self._timed(ctx, step, 1)[0]
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

    def _resume(self, ctx: RunContext, transport: str) -> Measurement:
        replay = self.measure(ctx, "replay", transport).details
        target_set = self.replay_sets(ctx)[0]
        ids, cuts = replay["ids"], replay["cuts"]
        workers = self.workers(1)

        def step() -> list[StreamResult]:
            specs = [
                self.spec(ctx, transport, target_set.queue, target_set.job_set, from_message_id=ids[cut])
                for cut in cuts
            ]
            out = []
            for cut, spec in zip(cuts, specs, strict=True):
                out.append(workers.run([[spec]], 600)[0].streams[0])
                what = f"{transport} resume after message {ids[cut]!r} (position {cut + 1} of {target_set.expected})"
                validate(out[-1], target_set.expected - cut - 1, what)
            return out

        results = self._timed(ctx, step, 1)[0]
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
