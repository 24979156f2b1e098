"""The Bench: what a run's throughput checks share, and the memoised measurements.

One ``Bench`` per run, kept on the context (``bench(ctx)``): it owns the consumer
processes and the replay job sets, makes each stream's settings from the target,
and memoises each measurement, so a gate check that needs a figure reuses the
measurement check's figure (or measures it, if run alone with ``--only``). The
workloads themselves (replay, live, fan-out, resume) are in ``workloads``; a
measurement that read wrong data raises ``CheckFailed`` rather than produce a figure.

The workload and gates are the run's typed settings (``ctx.settings``), validated by
the plan; the figures come from the consumers' own clocks.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import activity
from conformance.checks import CheckFailed
from conformance.context import RunContext
from conformance.results import Figure
from conformance.throughput.consumer import StreamSpec
from conformance.throughput.settings import Gates, Workload
from conformance.throughput.workers import Workers

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


_CHECK_NAMES = {"replay": "Replay", "live": "Live", "fanout": "FanOut", "resume": "Resume"}


def owner_of(kind: str, transport: str) -> str:
    """The ID of the check that reports measurement ``kind`` over ``transport``."""
    return f"THROUGHPUT-{_CHECK_NAMES.get(kind, kind)}-{transport.upper()}"


def bench(ctx: RunContext) -> Bench:
    """The run's Bench, created on first use and closed with the context."""
    if ctx.throughput_bench is None:
        ctx.throughput_bench = Bench(ctx)
        ctx.closers.append(ctx.throughput_bench.close)
    found: Bench = ctx.throughput_bench
    return found


class Bench:
    def __init__(self, ctx: RunContext) -> None:
        self.workload: Workload = ctx.settings.workload
        self.gates: Gates = ctx.settings.gates
        self._workers: Workers | None = None
        self._replay_sets: list[ReplaySet] | None = None
        self._replay_error: CheckFailed | None = None
        self._memo: dict[tuple[str, str], Measurement] = {}
        self._failed: dict[tuple[str, str], CheckFailed] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="armada-throughput-")
        self._ready_counter = 0
        self.existing = ctx.settings.replay_job_set

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
            consecutive_ids=ctx.target.consecutive_ids,
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
            from conformance.throughput.workloads import WORKLOADS  # they use Bench: imported when first needed

            began = time.perf_counter()
            try:
                measurement = WORKLOADS[kind](self, ctx, transport)
            except CheckFailed as exc:  # a gate or a later workload asking again gets the same verdict
                self._failed[key] = exc
                raise
            finally:  # the time is the measuring check's, whichever check asked first
                activity.spent_for(owner_of(kind, transport), time.perf_counter() - began)
            self._memo[key] = measurement
            ctx.figures.extend(measurement.figures)
        return self._memo[key]

    def ready_path(self) -> Path:
        """A fresh path a consumer creates when its first message arrived (the live workload waits for it)."""
        self._ready_counter += 1
        return Path(self._tmp.name) / f"ready-{self._ready_counter}"

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
                    activity.phase("filling the replay job set: jobs", start, jobs)
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
        activity.phase("starting the consumer processes")
        workers = self.workers(1)
        activity.phase("waiting for the job sets to hold their events")
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

    def count_existing(self, ctx: RunContext, transport: str) -> ReplaySet:
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
