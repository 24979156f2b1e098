"""What a load run creates on the target, and its removal: the run's queue and job sets.

Runs in a process without gevent (the command's own, or a helper the locustfile starts:
``python -m conformance.load.resources setup|cleanup TARGET``), because it speaks
grpcio through the suite's ``RunContext``, whose naming and cleanup rules it reuses:
everything is ``<prefix>-<run id>-...``, job sets are cancelled and the queue deleted at
the end, whatever happened. Jobs go into a cordoned queue where the target's release has
cordons (they are never scheduled), and otherwise are the ``[jobs]`` template's long-running
job (cancelled at the end with the rest).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from conformance.context import RunContext
from conformance.load.settings import (
    LoadPlan,
    PlanError,
    drain_s,
    job_set_count,
    parse_duration,
    submitters_for,
)
from conformance.settings import replay_job_set
from conformance.target import Target, TargetError, load_target

JOBS_PER_SECOND_PER_JOB_SET = 2.0  # default pace: each watcher sees ~4 events/s (submitted, queued)


@dataclass(frozen=True)
class LoadSettings:
    watchers: int
    watchers_per_job_set: int = 10
    jobs_per_second: float = 0.0  # 0: JOBS_PER_SECOND_PER_JOB_SET for each job set
    run_time_s: float = 30.0
    transports: tuple[tuple[str, int], ...] = (("grpc", 1),)
    read_only: bool = False
    replay_job_set: str | None = None
    expected_workers: int = 1

    def check(self) -> None:
        if not 1 <= self.watchers <= 100_000:
            raise PlanError(f"--users {self.watchers} is outside 1..100000")
        if not 1 <= self.watchers_per_job_set <= 100_000:
            raise PlanError(f"--watchers-per-job-set {self.watchers_per_job_set} is outside 1..100000")
        if not 0 <= self.jobs_per_second <= 10_000:
            raise PlanError(f"--jobs-per-second {self.jobs_per_second:g} is outside 0..10000")
        if self.run_time_s < 3:
            raise PlanError(f"--run-time {self.run_time_s:g} s is too short (3 s at least: spawn, submit, drain)")
        if self.read_only and not self.replay_job_set:
            raise PlanError("--read-only watches an existing job set: give --replay-job-set QUEUE/ID")


def can_cordon(target: Target) -> bool:
    """Whether the target's release has queue cordons (``conformance.releases``, overrides applied)."""
    return target.release.has("cordon")


def make_plan(ctx: RunContext, settings: LoadSettings, target_file: str) -> LoadPlan:
    """Create the run's queue (cordoned where the release can) and name its job sets; or watch --replay-job-set."""
    settings.check()
    target = ctx.target
    common = {
        "run_id": ctx.run_id,
        "target_file": target_file,
        "watchers": settings.watchers,
        "transports": dict(settings.transports),
        "consecutive_ids": target.consecutive_ids,
        "expected_workers": settings.expected_workers,
        "call_timeout": target.timeout,
    }
    if settings.replay_job_set:
        try:
            existing = replay_job_set(settings.replay_job_set)
        except ValueError as exc:  # the words of the THROUGHPUT option
            raise PlanError(str(exc)) from None
        assert existing is not None
        return LoadPlan(job_sets=[existing], read_only=True, strict_jobs=False, **common)  # type: ignore[arg-type]
    ctx.require_mutation()
    cordon = can_cordon(target)
    queue = ctx.create_queue(cordoned=True) if cordon else ctx.create_queue()
    count = job_set_count(settings.watchers, settings.watchers_per_job_set)
    job_sets = [(queue, ctx.name("load")) for _ in range(count)]
    ctx.created_job_sets.extend(job_sets)  # cancelled at cleanup, whoever submitted into them
    rate = settings.jobs_per_second or JOBS_PER_SECOND_PER_JOB_SET * count
    return LoadPlan(
        job_sets=job_sets,
        submitters=submitters_for(rate),
        jobs_per_second=rate,
        hold=not cordon,
        job=ctx.job("short" if cordon else "long"),  # held: queued in a cordoned queue, else long-running
        submit_for_s=settings.run_time_s - drain_s(settings.run_time_s),
        queues=[queue],
        **common,  # type: ignore[arg-type]
    )


def remove(ctx: RunContext, plan: LoadPlan) -> list[str]:
    """Cancel the plan's job sets and delete its queues (only ours: run-named); the problems, if any."""
    if plan.read_only:
        return []
    ours = f"{ctx.target.prefix}-{plan.run_id}-"
    if ours not in ctx.ledger.owned_prefixes:  # a helper process cleaning up the master's run: adopt its names
        ctx.ledger.owned_prefixes += (ours,)
    known = set(ctx.created_queues)
    ctx.created_job_sets.extend([js for js in plan.job_sets if js[1].startswith(ours)])
    ctx.created_queues.extend([q for q in plan.queues if q.startswith(ours) and q not in known])
    return ctx.cleanup()


def main(argv: list[str] | None = None) -> int:
    """The locustfile's helper: ``setup TARGET ...`` prints a plan; ``cleanup TARGET`` reads one on stdin."""
    parser = argparse.ArgumentParser(prog="python -m conformance.load.resources")
    parser.add_argument("action", choices=("setup", "cleanup"))
    parser.add_argument("target")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--watchers-per-job-set", type=int, default=10)
    parser.add_argument("--jobs-per-second", type=float, default=0.0)
    parser.add_argument("--run-time", default="60")
    args = parser.parse_args(argv)
    try:
        target = load_target(args.target)
        ctx = RunContext(target)
        try:
            if args.action == "cleanup":
                problems = remove(ctx, LoadPlan.from_json(sys.stdin.read()))
                for problem in problems:
                    print(f"cleanup: {problem}", file=sys.stderr)
                return 1 if problems else 0
            watchers = max(1, args.users - submitters_for(args.jobs_per_second or 1))
            settings = LoadSettings(
                watchers, args.watchers_per_job_set, args.jobs_per_second, parse_duration(args.run_time)
            )
            print(make_plan(ctx, settings, str(args.target)).to_json())
            return 0
        finally:
            ctx.close()
    except (TargetError, PlanError, RuntimeError) as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
