"""SEMANTICS: the API does what Armada's contract says, not merely answers.

Queue life cycle and its error codes, a job's life in events, cancellation,
resuming a stream without gap or duplicate, ``watch=false`` ending, ``errorIfMissing``
and ``GetQueueInfo`` counts. Most create things, so they are ``mutating`` and
skipped under --read-only; everything they create is the run's own and cleaned up.
"""

from __future__ import annotations

import time
from collections.abc import Set

from conformance import cases
from conformance.checks import CheckFailed, NotOffered, family
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


def _expect_code(result_code: str, expected: Set[str], what: str, evidence: dict) -> None:
    if result_code == "UNIMPLEMENTED" and "UNIMPLEMENTED" not in expected:
        raise NotOffered(f"{what}: the target answered UNIMPLEMENTED")
    if result_code not in expected:
        raise CheckFailed(
            f"{what}: expected {' or '.join(sorted(expected))}, got {result_code}", {**evidence, "code": result_code}
        )


@family(
    "SEMANTICS-QueueCreateDelete",
    "SEMANTICS",
    "CreateQueue then a duplicate CreateQueue (ALREADY_EXISTS), DeleteQueue (OK), and a second DeleteQueue "
    "(OK, as Armada answers in every era, or NOT_FOUND)",
    mutating=True,
)
def queue_create_delete(ctx: RunContext) -> None:
    name = ctx.create_queue()
    again = ctx.call(ctx.queue_service("CreateQueue"), {"name": name, "priorityFactor": 1})
    _expect_code(
        again.code, {"ALREADY_EXISTS"}, "creating an existing queue", {"queue": name, "details": again.details}
    )
    deleted = ctx.call(ctx.queue_service("DeleteQueue"), {"name": name})
    _expect_code(deleted.code, {"OK"}, "deleting the queue", {"queue": name, "details": deleted.details})
    twice = ctx.call(ctx.queue_service("DeleteQueue"), {"name": name})
    _expect_code(twice.code, {"OK", "NOT_FOUND"}, "deleting a deleted queue", {"queue": name, "details": twice.details})


@family(
    "SEMANTICS-QueueRoundTrip",
    "SEMANTICS",
    "a created queue reads back as written via GetQueue, UpdateQueue changes it, and after DeleteQueue "
    "GetQueue answers NOT_FOUND",
    mutating=True,
)
def queue_round_trip(ctx: RunContext) -> None:
    name = ctx.create_queue(userOwners=["conformance-owner"])
    get, update = ctx.queue_service("GetQueue"), ctx.queue_service("UpdateQueue")
    got = ctx.call(get, {"name": name})
    _expect_code(got.code, {"OK"}, "GetQueue of a created queue", {"queue": name, "details": got.details})
    if (
        got.response.name != name
        or got.response.priority_factor != 1
        or list(got.response.user_owners) != ["conformance-owner"]
    ):
        raise CheckFailed("GetQueue does not return the queue as created", {"got": str(got.response)})
    updated = ctx.call(update, {"name": name, "priorityFactor": 3, "userOwners": ["conformance-owner"]})
    _expect_code(updated.code, {"OK"}, "UpdateQueue", {"details": updated.details})
    got = ctx.call(get, {"name": name})
    if not got.ok or got.response.priority_factor != 3:
        raise CheckFailed(
            "GetQueue after UpdateQueue does not show the new priorityFactor 3",
            {"code": got.code, "got": str(got.response)},
        )
    ctx.call(ctx.queue_service("DeleteQueue"), {"name": name})
    gone = ctx.call(get, {"name": name})
    _expect_code(gone.code, {"NOT_FOUND"}, "GetQueue of a deleted queue", {"details": gone.details})


@family(
    "SEMANTICS-QueueNotFound",
    "SEMANTICS",
    "GetQueue of a queue that does not exist answers NOT_FOUND",
)
def queue_not_found(ctx: RunContext) -> None:
    result = ctx.call(ctx.queue_service("GetQueue"), cases.refused("Submit/GetQueue", ctx.name("absent")))
    _expect_code(result.code, {"NOT_FOUND"}, "GetQueue of an absent queue", {"details": result.details})


@family("SEMANTICS-QueueInvalid", "SEMANTICS", "CreateQueue without a name answers INVALID_ARGUMENT", mutating=True)
def queue_invalid(ctx: RunContext) -> None:
    ctx.require_mutation()
    result = ctx.call(ctx.queue_service("CreateQueue"), cases.refused("Submit/CreateQueue", ""))
    _expect_code(result.code, {"INVALID_ARGUMENT"}, "CreateQueue with an empty name", {"details": result.details})


@family(
    "SEMANTICS-SubmitUnknownQueue",
    "SEMANTICS",
    "SubmitJobs to a queue that does not exist is refused (NOT_FOUND or INVALID_ARGUMENT; armada-2026's "
    "queue cache: PERMISSION_DENIED)",
    mutating=True,
)  # it sends SubmitJobs: a target wrongly accepting it would store a job
def submit_unknown_queue(ctx: RunContext) -> None:
    request = cases.refused("Submit/SubmitJobs", ctx.name("absent"))
    result = ctx.call("Submit/SubmitJobs", request)
    expected = cases.refusal_codes("Submit/SubmitJobs", ctx.target.release)
    _expect_code(
        result.code, expected, "SubmitJobs to an absent queue", {"request": request, "details": result.details}
    )


@family(
    "SEMANTICS-SubmitInvalid",
    "SEMANTICS",
    "SubmitJobs of a job without containers is refused with INVALID_ARGUMENT and stores nothing",
    mutating=True,
)
def submit_invalid(ctx: RunContext) -> None:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    request = {"queue": queue, "jobSetId": job_set, "jobRequestItems": [{"priority": 1, "podSpec": {}}]}
    result = ctx.call("Submit/SubmitJobs", request)
    item_errors = result.ok and all(i.error for i in result.response.job_response_items)
    if result.code != "INVALID_ARGUMENT" and not item_errors:
        raise CheckFailed(
            f"a job with no containers was accepted ({result.code})",
            {"request": request, "response": str(result.response or result.details)},
        )
    stored = ctx.events(queue, job_set)
    if stored:
        raise CheckFailed("the refused job still produced events", {"events": kinds_of(stored)})


@family(
    "SEMANTICS-SubmitEvents",
    "SEMANTICS",
    "a submitted job's events begin submitted, queued and follow the job life order, and name the "
    "job's id and owner (the caller)",
    mutating=True,
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
    "CancelJobs of a queued job returns its id and the job set then shows cancelling and cancelled",
    mutating=True,
)
def cancel_jobs(ctx: RunContext) -> None:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    [job_id] = ctx.submit(queue, job_set, hold=True)
    result = ctx.call(
        "Submit/CancelJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [job_id], "reason": "conformance"}
    )
    _expect_code(result.code, {"OK"}, "CancelJobs", {"details": result.details})
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
    _expect_code(result.code, {"OK"}, "a watch=false stream", {"details": result.details})
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
)
def error_if_missing(ctx: RunContext) -> None:
    queue = ctx.create_queue()
    absent = ctx.name("absent-js")
    strict = ctx.stream("Event/GetJobSetEvents", {"queue": queue, "id": absent, "errorIfMissing": True})
    _expect_code(
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
    "GetQueueInfo lists a job set with queued jobs and counts them as queued, not leased",
    mutating=True,
    methods=("Submit/GetQueueInfo",),
)
def queue_info_counts(ctx: RunContext) -> None:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    ctx.submit(queue, job_set, count=2, hold=True)
    ctx.require_offered("Submit/GetQueueInfo")
    result = ctx.call("Submit/GetQueueInfo", {"name": queue})
    _expect_code(result.code, {"OK"}, "GetQueueInfo", {"details": result.details})
    sets = {s.name: (s.queued_jobs, s.leased_jobs) for s in result.response.active_job_sets}
    if sets.get(job_set) != (2, 0):
        raise CheckFailed(
            f"GetQueueInfo shows {sets.get(job_set)} (queued, leased) for a job set with 2 queued "
            "jobs; expected (2, 0)",
            {"active_job_sets": str(sets)},
        )
