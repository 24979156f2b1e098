"""SEMANTICS of requests Armada must refuse: an absent queue, a job it cannot run.

The codes are each release's own. Armada's ``CodeFromError``
(``internal/common/armadaerrors/errors.go``) maps only its typed errors; an error that
is not a gRPC status becomes UNKNOWN (HTTP 500), and the queue cache's "queue not
found" is such an error (``internal/server/submit/submit.go`` ``authorize``; at v0.3.x
``internal/armada/server/submit_to_log.go`` returns ``ErrQueueNotFound`` raw). So on a
release with ``raw_errors_unknown`` UNKNOWN is the answer, not a broken server; SubmitJobs
wraps the refusal as PERMISSION_DENIED from v0.4.44 (``submit_denies_absent_queue``).
A code the contract gives is accepted from every release: answering as documented is
never a failure. A SURFACE probe that needs a definite answer asks a run-owned queue
instead (``conformance.checks.surface``).
"""

from __future__ import annotations

from conformance import cases
from conformance.checks import CheckFailed, changes_state, family
from conformance.checks.queues import expect_code
from conformance.context import RunContext, kinds_of
from conformance.releases import Release

# The methods whose refusal of an absent queue is raw at some release (shared/armada-semantics.md).
# GetQueueInfo (v0.3.x, internal/armada/server/submit.go) means to answer NOT_FOUND, but tests the error with
# errors.Is against a nil *ErrQueueNotFound, which never matches: the raw error goes out, UNKNOWN.
ABSENT_QUEUE_METHODS = (
    "Submit/CancelJobs",
    "Submit/CancelJobSet",
    "Submit/ReprioritizeJobs",
    "Submit/PreemptJobs",
    "Submit/GetQueueInfo",
)
CONTRACT_CODE = frozenset({"NOT_FOUND"})


def absent_queue_codes(method: str, judged: Release) -> frozenset[str]:
    """What a server of ``judged`` answers ``method`` naming an absent queue: the contract's, or UNKNOWN (raw)."""
    return CONTRACT_CODE | ({"UNKNOWN"} if judged.has("raw_errors_unknown") else set())


@family(
    "SEMANTICS-SubmitUnknownQueue",
    "SEMANTICS",
    "SubmitJobs to a queue that does not exist is refused: NOT_FOUND or INVALID_ARGUMENT (the contract); "
    "PERMISSION_DENIED from v0.4.44 (submit_denies_absent_queue), UNKNOWN before (raw_errors_unknown)",
    mutating=True,
    source="internal/server/submit/submit.go internal/armada/server/submit_to_log.go",
)  # it sends SubmitJobs: a target wrongly accepting it would store a job
def submit_unknown_queue(ctx: RunContext) -> None:
    request = cases.refused("Submit/SubmitJobs", ctx.name("absent"), ctx.target.jobs)
    result = ctx.call("Submit/SubmitJobs", request)
    expected = cases.refusal_codes("Submit/SubmitJobs", ctx.release)
    if ctx.release.has("raw_errors_unknown") and not ctx.release.has("submit_denies_absent_queue"):
        expected |= {"UNKNOWN"}
    expect_code(result.code, expected, "SubmitJobs to an absent queue", {"request": request, "details": result.details})


def _absent_rows() -> list[dict[str, str]]:
    return [{"method": m, "name": m.split("/")[1]} for m in ABSENT_QUEUE_METHODS]


@family(
    "SEMANTICS-AbsentQueue-{name}",
    "SEMANTICS",
    "{method} naming a queue that does not exist is refused: NOT_FOUND (the contract), or UNKNOWN where the "
    "release's errors are raw (raw_errors_unknown: the queue cache's error is no gRPC status)",
    _absent_rows(),
    mutating=lambda row: changes_state(row["method"]),
    source="internal/server/submit/submit.go internal/common/armadaerrors/errors.go",
)
def absent_queue_refused(ctx: RunContext, method: str, name: str) -> None:
    request = cases.refused(method, ctx.name("absent"), ctx.target.jobs)
    result = ctx.call(method, request)
    expected = absent_queue_codes(method, ctx.release)
    expect_code(result.code, expected, f"{name} of an absent queue", {"request": request, "details": result.details})


@family(
    "SEMANTICS-SubmitInvalid",
    "SEMANTICS",
    "SubmitJobs of a job without containers is refused with INVALID_ARGUMENT (UNKNOWN where the release's "
    "validation error is raw, internal/common/validation/podspec.go) and stores nothing",
    mutating=True,
    source="contract internal/common/validation/podspec.go",
)
def submit_invalid(ctx: RunContext) -> None:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    empty = ctx.job()
    empty["podSpec"]["containers"] = []  # the target's job, without its container
    request = {"queue": queue, "jobSetId": job_set, "jobRequestItems": [empty]}
    result = ctx.call("Submit/SubmitJobs", request)
    refused = {"INVALID_ARGUMENT"} | ({"UNKNOWN"} if ctx.release.has("raw_errors_unknown") else set())
    item_errors = result.ok and all(i.error for i in result.response.job_response_items)
    if result.code not in refused and not item_errors:
        raise CheckFailed(
            f"a job with no containers was {'accepted' if result.ok else 'answered'} ({result.code})",
            {"request": request, "response": str(result.response or result.details)},
        )
    stored = ctx.events(queue, job_set)
    if stored:
        raise CheckFailed("the refused job still produced events", {"events": kinds_of(stored)})
