"""SEMANTICS: the API does what Armada's contract says, not merely answers.

Queue life cycle and its error codes, a job's life in events, cancellation,
resuming a stream without gap or duplicate, ``watch=false`` ending, ``errorIfMissing``
and ``GetQueueInfo`` counts. Most create things, so they are ``mutating`` and
skipped under --read-only; everything they create is the run's own and cleaned up.
"""

from __future__ import annotations

import time

from conformance.checks import CheckFailed, family
from conformance.checks.queues import expect_code
from conformance.context import RunContext, kinds_of

LIFE_ORDER = {
    "submitted": 0,
    "queued": 1,
    "leased": 2,
    "pending": 3,
    "running": 4,
    "succeeded": 5,
    "failed": 5,
    "cancelling": 5,
    "cancelled": 6,
    "preempting": 5,
    "preempted": 6,
}


@family(
    "SEMANTICS-SubmitEvents",
    "SEMANTICS",
    "a submitted job's events begin submitted, queued and follow the job life order, and name the "
    "job's id and owner (the caller)",
    mutating=True,
    source="internal/server/event/conversion/conversions.go",
)
def submit_events(ctx: RunContext) -> None:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    [job_id] = ctx.submit(queue, job_set)
    events = ctx.wait_for(queue, job_set, lambda kinds: "queued" in kinds and len(kinds) >= 2, timeout=5)
    kinds = kinds_of(events, job_id)
    evidence = {"job_id": job_id, "events": kinds}
    if kinds[:2] != ["submitted", "queued"]:
        raise CheckFailed(f"events of a new job begin {kinds[:2]}, expected ['submitted', 'queued']", evidence)
    ranks = [LIFE_ORDER.get(k, 5) for k in kinds]
    if ranks != sorted(ranks):
        raise CheckFailed(f"events are out of life order: {kinds}", evidence)
    submitted = events[0][2]
    owner = submitted.get("job", {}).get("owner", "")
    identity = ctx.target.identity()
    expected = identity.principal if identity else "anonymous"
    if submitted.get("job", {}).get("id") != job_id or (expected and owner != expected):
        raise CheckFailed(
            f"the submitted event names job {submitted.get('job', {}).get('id')!r} owned by {owner!r}; "
            f"expected {job_id!r} owned by {expected!r}",
            evidence,
        )


@family(
    "SEMANTICS-CancelJobs",
    "SEMANTICS",
    "CancelJobs of a job that has not ended returns its id and the job set then shows cancelling and cancelled",
    mutating=True,
    source="internal/server/submit/submit.go",
)
def cancel_jobs(ctx: RunContext) -> None:
    queue, job_set = ctx.holding_queue(), ctx.name("js")
    [job_id] = ctx.submit(queue, job_set, hold=True)
    result = ctx.call(
        "Submit/CancelJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [job_id], "reason": "conformance"}
    )
    expect_code(result.code, {"OK"}, "CancelJobs", {"details": result.details})
    if job_id not in result.response.cancelled_ids:
        raise CheckFailed("CancelJobs did not list the job as cancelled", {"response": str(result.response)})
    events = ctx.wait_for(queue, job_set, lambda kinds: "cancelled" in kinds, timeout=5)
    kinds = kinds_of(events, job_id)
    if "cancelled" not in kinds or ("cancelling" in kinds and kinds.index("cancelling") > kinds.index("cancelled")):
        raise CheckFailed(
            f"after CancelJobs the job's events are {kinds}; expected ... cancelling, cancelled", {"events": kinds}
        )


def _job_set_with_events(ctx: RunContext, jobs: int = 3) -> tuple[str, str, list]:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    ctx.submit(queue, job_set, count=jobs)
    ctx.wait_for(queue, job_set, lambda kinds: kinds.count("queued") >= jobs, timeout=5)
    return queue, job_set, ctx.events(queue, job_set)


@family(
    "SEMANTICS-ResumeFromMessageId",
    "SEMANTICS",
    "GetJobSetEvents with from_message_id resumes right after that message: no gap, no duplicate",
    mutating=True,
    source="internal/server/event/event_repository.go",
)
def resume_from_message_id(ctx: RunContext) -> None:
    queue, job_set, everything = _job_set_with_events(ctx)
    if len(everything) < 4:
        raise CheckFailed(f"a job set of 3 jobs has only {len(everything)} events", {"events": kinds_of(everything)})
    ids = [i for i, _, _ in everything]
    if len(set(ids)) != len(ids):
        raise CheckFailed("message ids repeat within one job set", {"ids": ids})
    for cut in (1, len(everything) // 2, len(everything) - 1):
        resumed = ctx.events(queue, job_set, fromMessageId=ids[cut - 1])
        if [i for i, _, _ in resumed] != ids[cut:]:
            raise CheckFailed(
                f"resuming after message {ids[cut - 1]!r} gave ids {[i for i, _, _ in resumed]}, expected {ids[cut:]}",
                {"all_ids": ids},
            )


@family(
    "SEMANTICS-WatchFalseEnds",
    "SEMANTICS",
    "GetJobSetEvents with watch=false ends once it has sent the stored events",
    mutating=True,
    source="internal/server/event/event.go",
)
def watch_false_ends(ctx: RunContext) -> None:
    queue, job_set, stored = _job_set_with_events(ctx, jobs=1)
    if kinds_of(stored)[:2] != ["submitted", "queued"]:
        raise CheckFailed(
            f"the job set's stored events are {kinds_of(stored)}; expected submitted, queued first, "
            "so watch=false cannot be judged",
            {"events": kinds_of(stored)},
        )
    started = time.monotonic()
    result = ctx.stream(
        "Event/GetJobSetEvents", {"queue": queue, "id": job_set, "watch": False}, timeout=min(ctx.target.timeout, 5)
    )
    if result.code == "DEADLINE_EXCEEDED":
        raise CheckFailed(
            f"the watch=false stream was still open after {time.monotonic() - started:.1f}s "
            f"({len(result.messages)} messages received)",
            {"messages": len(result.messages)},
        )
    expect_code(result.code, {"OK"}, "a watch=false stream", {"details": result.details})
    if len(result.messages) < len(stored):
        raise CheckFailed(
            f"the watch=false stream ended after {len(result.messages)} of the {len(stored)} stored events",
            {"messages": len(result.messages), "stored": len(stored)},
        )


@family(
    "SEMANTICS-ErrorIfMissing",
    "SEMANTICS",
    "GetJobSetEvents of an unknown job set answers NOT_FOUND with errorIfMissing=true, and an empty stream without it",
    mutating=True,
    source="internal/server/event/event.go",
)
def error_if_missing(ctx: RunContext) -> None:
    queue = ctx.create_queue()
    absent = ctx.name("absent-js")
    strict = ctx.stream("Event/GetJobSetEvents", {"queue": queue, "id": absent, "errorIfMissing": True})
    expect_code(
        strict.code,
        {"NOT_FOUND"},
        "errorIfMissing=true on an unknown job set",
        {"details": strict.details, "messages": len(strict.messages)},
    )
    lenient = ctx.stream("Event/GetJobSetEvents", {"queue": queue, "id": absent})
    if not lenient.ok or lenient.messages:
        raise CheckFailed(
            f"without errorIfMissing an unknown job set gave {lenient.code} and "
            f"{len(lenient.messages)} messages; expected an empty stream",
            {"details": lenient.details},
        )


@family(
    "SEMANTICS-QueueInfoCounts",
    "SEMANTICS",
    "GetQueueInfo lists a job set with two jobs that have not ended and counts each as its events show it: "
    "queued, or leased (leased, pending or running)",
    mutating=True,
    methods=("Submit/GetQueueInfo",),
    source="internal/armada/server/submit.go",
)
def queue_info_counts(ctx: RunContext) -> None:
    ctx.require_offered("Submit/GetQueueInfo")
    queue, job_set = ctx.holding_queue(), ctx.name("js")
    jobs = ctx.submit(queue, job_set, count=2, hold=True)
    deadline = time.monotonic() + ctx.target.timeout
    while True:  # a job may move on between the events and the counts: judge a moment when both agree
        before = _held_counts(ctx, queue, job_set, jobs)
        result = ctx.call("Submit/GetQueueInfo", {"name": queue})
        expect_code(result.code, {"OK"}, "GetQueueInfo", {"details": result.details})
        sets = {s.name: (s.queued_jobs, s.leased_jobs) for s in result.response.active_job_sets}
        if before == _held_counts(ctx, queue, job_set, jobs) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if sets.get(job_set) != before:
        raise CheckFailed(
            f"GetQueueInfo shows {sets.get(job_set)} (queued, leased) for a job set whose 2 jobs' events show {before}",
            {"active_job_sets": str(sets)},
        )


LEASED_KINDS = frozenset({"leased", "pending", "running"})


def _held_counts(ctx: RunContext, queue: str, job_set: str, jobs: list[str]) -> tuple[int, int]:
    """(queued, leased) of ``jobs`` as their last life event shows them (a cordoned queue's: all queued)."""
    if ctx.holds_queued(queue):
        return len(jobs), 0
    events = ctx.events(queue, job_set)
    last = [([k for k in kinds_of(events, j) if k in LEASED_KINDS or k == "queued"] or ["queued"])[-1] for j in jobs]
    leased = sum(k in LEASED_KINDS for k in last)
    return len(jobs) - leased, leased
