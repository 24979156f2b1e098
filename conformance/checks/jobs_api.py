"""SEMANTICS of api.Jobs: what the query API says about a job agrees with its events.

Armada feeds its event stream and its job query API from the same log through
separate ingesters, so either may lag the other for a moment. The checks therefore
judge *eventual* agreement, bounded by the target's timeout: the statuses observed
while a job lives must follow its life order and be states its events show, and once
the events show the job ended, the status, details and runs must say the same. Unknown
ids map to UNKNOWN (``shared/armada-api-more.md``). Jobs are the run's own, in a
run-created queue, and cancelled at the end like every other job the run submits.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import protos
from conformance.checks import CheckFailed, NotConfigured, family
from conformance.context import RunContext, kinds_of

# Event kind -> the job state it puts the job in (submitted: Armada reports SUBMITTED or QUEUED).
STATE_OF = {
    "submitted": "SUBMITTED",
    "queued": "QUEUED",
    "leased": "LEASED",
    "pending": "PENDING",
    "running": "RUNNING",
    "succeeded": "SUCCEEDED",
    "failed": "FAILED",
    "cancelled": "CANCELLED",
    "preempted": "PREEMPTED",
    "rejected": "REJECTED",
}
RANK = {
    "SUBMITTED": 0,
    "QUEUED": 1,
    "LEASED": 2,
    "PENDING": 3,
    "RUNNING": 4,
    "SUCCEEDED": 5,
    "FAILED": 5,
    "CANCELLED": 5,
    "PREEMPTED": 5,
    "REJECTED": 5,
}
# Event kind -> the state it puts the job's open run in.
RUN_STATE_OF = {
    "leased": "RUN_STATE_LEASED",
    "pending": "RUN_STATE_PENDING",
    "running": "RUN_STATE_RUNNING",
    "succeeded": "RUN_STATE_SUCCEEDED",
    "failed": "RUN_STATE_FAILED",
    "cancelled": "RUN_STATE_CANCELLED",
    "preempted": "RUN_STATE_PREEMPTED",
}
ENDED = frozenset({"succeeded", "failed", "cancelled", "preempted", "rejected"})
POLL_S = 0.2
JOBS = "Jobs/GetJobStatus"
NOT_A_REFUSAL = frozenset({"OK", "UNAVAILABLE", "DEADLINE_EXCEEDED", "UNIMPLEMENTED"})  # not the server saying no


def job(ctx: RunContext, kind: str = "short", **fields: Any) -> dict[str, Any]:
    """A job of the target's ``[jobs]`` template: ``short`` ends at once, ``long`` runs on, ``fail`` fails."""
    return ctx.job(kind, **fields)


def submit(ctx: RunContext, queue: str, job_set: str, *items: dict[str, Any]) -> list[str]:
    result = ctx.call("Submit/SubmitJobs", {"queue": queue, "jobSetId": job_set, "jobRequestItems": list(items)})
    if not result.ok or any(i.error for i in result.response.job_response_items):
        raise RuntimeError(f"could not submit jobs for the check: {result.code} {result.details}")
    return [i.job_id for i in result.response.job_response_items]


def statuses(ctx: RunContext, *job_ids: str) -> dict[str, str]:
    result = ctx.call(JOBS, {"jobIds": list(job_ids)})
    if not result.ok:
        raise CheckFailed(f"GetJobStatus answered {result.code}: {result.details}", {"job_ids": list(job_ids)})
    return {k: _name("api.JobState", v) for k, v in result.response.job_states.items()}


def _name(enum: str, number: int) -> str:
    values = protos.pool().FindEnumTypeByName(enum).values_by_number
    return values[number].name if number in values else str(number)


def until(ctx: RunContext, probe: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    """Call ``probe`` until ``done(value)`` or the target's timeout; return the last value."""
    deadline = time.monotonic() + ctx.target.timeout
    value = probe()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(POLL_S)
        value = probe()
    return value


def kinds_until(ctx: RunContext, queue: str, job_set: str, job_id: str, wanted: frozenset[str]) -> list[str]:
    """The job's event kinds once one of ``wanted`` is among them (or whatever came within the timeout)."""
    return until(ctx, lambda: kinds_of(ctx.events(queue, job_set), job_id), lambda kinds: bool(wanted & set(kinds)))


@family(
    "SEMANTICS-JobStatusFollowsEvents",
    "SEMANTICS",
    "GetJobStatus of a job moves through the states its events show, in life order, and ends in the state "
    "of its last event (a job that ran: SUCCEEDED; a job held and cancelled before it ended: CANCELLED)",
    mutating=True,
    methods=(JOBS,),
    source="internal/server/queryapi/query_api.go internal/scheduler/scheduler.go",
)
def status_follows_events(ctx: RunContext) -> None:
    ctx.require_offered(JOBS)
    queue, job_set = ctx.holding_queue(), ctx.name("js")  # cordoned where it can be: the held job stays queued
    [held] = submit(ctx, queue, job_set, job(ctx, "short" if ctx.holds_queued(queue) else "long"))
    ran_queue, ran_set = (ctx.create_queue(), ctx.name("js")) if ctx.holds_queued(queue) else (queue, job_set)
    [ran] = submit(ctx, ran_queue, ran_set, job(ctx))  # nothing runs in a cordoned queue: it goes elsewhere then
    held_states = {"QUEUED"} if ctx.holds_queued(queue) else {"QUEUED", "LEASED", "PENDING", "RUNNING"}
    seen: dict[str, list[str]] = {ran: [], held: []}

    def observe() -> dict[str, str]:
        now = statuses(ctx, ran, held)
        for job_id, state in now.items():
            if job_id in seen and (not seen[job_id] or seen[job_id][-1] != state):
                seen[job_id].append(state)
        return now

    until(ctx, observe, lambda now: now.get(ran) in ("SUCCEEDED", "FAILED") and now.get(held) in held_states)
    cancelled = ctx.call(
        "Submit/CancelJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [held], "reason": "conformance"}
    )
    if not cancelled.ok:
        raise CheckFailed(f"CancelJobs of the held job answered {cancelled.code}", {"details": cancelled.details})
    until(ctx, observe, lambda now: now.get(held) == "CANCELLED")
    _judge_states(ran, seen[ran], kinds_of(ctx.events(ran_queue, ran_set), ran))
    _judge_states(held, seen[held], kinds_of(ctx.events(queue, job_set), held))


def _judge_states(job_id: str, observed: list[str], kinds: list[str]) -> None:
    evidence = {"job_id": job_id, "statuses": observed, "events": kinds}
    while observed[:1] == ["UNKNOWN"]:  # the query API may not have ingested a brand-new job yet
        observed = observed[1:]
    shown = {STATE_OF[k] for k in kinds if k in STATE_OF}
    strangers = [s for s in observed if s not in shown and not (s == "QUEUED" and "submitted" in kinds)]
    if strangers:
        raise CheckFailed(f"GetJobStatus reported {strangers} for a job whose events never show that state", evidence)
    if [RANK.get(s, 9) for s in observed] != sorted(RANK.get(s, 9) for s in observed):
        raise CheckFailed(f"GetJobStatus went back in the job's life: {observed}", evidence)
    last = next((STATE_OF[k] for k in reversed(kinds) if k in STATE_OF), None)
    if not observed or observed[-1] != last:
        raise CheckFailed(
            f"GetJobStatus ends at {observed[-1] if observed else None}; the job's last event says {last}", evidence
        )


@family(
    "SEMANTICS-JobStatusUnknownId",
    "SEMANTICS",
    "GetJobStatus of a job id the server never issued answers OK, mapping that id to UNKNOWN",
    methods=(JOBS,),
    source="internal/server/queryapi/query_api.go",
)
def status_unknown_id(ctx: RunContext) -> None:
    ctx.require_offered(JOBS)
    absent = ctx.name("absent-job")
    result = ctx.call(JOBS, {"jobIds": [absent]})
    if not result.ok:
        raise CheckFailed(
            f"GetJobStatus of an unknown id answered {result.code}; expected OK with UNKNOWN",
            {"job_id": absent, "details": result.details},
        )
    got = statuses(ctx, absent)
    if got != {absent: "UNKNOWN"}:
        raise CheckFailed(
            f"GetJobStatus of an unknown id answered {got}; expected {{{absent!r}: 'UNKNOWN'}}", {"job_id": absent}
        )


@family(
    "SEMANTICS-JobQueryLimit",
    "SEMANTICS",
    "GetJobStatus answers max_query_items ids (the target file's, each unknown id UNKNOWN) and refuses one id "
    "more with an error, never an answer cut short (not configured without [target] max_query_items)",
    methods=(JOBS,),
    source="internal/server/queryapi/query_api.go",
)
def query_limit(ctx: RunContext) -> None:
    """Real Armada refuses more ids than its configured maxQueryItems with a plain error (gRPC UNKNOWN).

    The limit is each deployment's own, so the target file must say it; the check
    then asks at the limit (must answer every id) and one over it (must refuse).
    """
    ctx.require_offered(JOBS)
    limit = ctx.target.max_query_items
    if limit is None:
        raise NotConfigured("the target file does not give the server's limit ([target] max_query_items)")
    ids = [ctx.name(f"absent-{n}") for n in range(limit + 1)]
    at_limit = statuses(ctx, *ids[:limit])
    if len(at_limit) != limit or set(at_limit.values()) != {"UNKNOWN"}:
        raise CheckFailed(
            f"GetJobStatus of {limit} unknown ids (max_query_items) answered {len(at_limit)} states "
            f"({sorted(set(at_limit.values()))}); expected every id, UNKNOWN",
            {"asked": limit, "answered": len(at_limit)},
        )
    over = ctx.call(JOBS, {"jobIds": ids})
    if over.ok or over.code in NOT_A_REFUSAL:
        answered = len(over.response.job_states) if over.ok else 0
        raise CheckFailed(
            f"GetJobStatus of {limit + 1} ids, one more than max_query_items {limit}, answered {over.code}"
            + (f" with {answered} states" if over.ok else "")
            + "; expected an error refusing the request",
            {"asked": limit + 1, "code": over.code, "details": over.details},
        )


def _details_problem(ctx: RunContext, queue: str, job_set: str, job_id: str, kinds: list[str]) -> str:
    """What GetJobDetails / GetJobRunDetails say that the job's events do not, or ""."""
    result = ctx.call("Jobs/GetJobDetails", {"jobIds": [job_id], "expandJobRun": True})
    if not result.ok:
        return f"GetJobDetails answered {result.code}: {result.details}"
    if job_id not in result.response.job_details:
        return "GetJobDetails left the job out"
    found = result.response.job_details[job_id]
    last = next((STATE_OF[k] for k in reversed(kinds) if k in STATE_OF), None)
    state = _name("api.JobState", found.state)
    if (found.queue, found.jobset) != (queue, job_set):
        return f"it names queue/job set {found.queue}/{found.jobset}"
    if state != last:
        return f"its state is {state}, the last event says {last}"
    run_ids = [r.run_id for r in found.job_runs]
    if len(run_ids) != kinds.count("leased") or any(r.job_id != job_id for r in found.job_runs):
        owners = [r.job_id for r in found.job_runs]
        return f"it has runs {run_ids} (of jobs {owners}) for {kinds.count('leased')} lease(s)"
    if not run_ids:
        return ""
    latest = next((r for r in found.job_runs if r.run_id == found.latest_run_id), None)
    if latest is None:
        return f"latestRunId {found.latest_run_id!r} is none of its runs {run_ids}"
    since_lease = kinds[len(kinds) - 1 - kinds[::-1].index("leased") :]
    expected = next(RUN_STATE_OF[k] for k in reversed(since_lease) if k in RUN_STATE_OF)
    run_state = _name("api.JobRunState", latest.state)
    if run_state != expected:
        return f"its latest run is {run_state}; the events since its lease say {expected}"
    return _run_problem(ctx, latest, run_state)


def _empty(problem: str) -> bool:
    return not problem


def _run_problem(ctx: RunContext, run: Any, state: str) -> str:
    result = ctx.call("Jobs/GetJobRunDetails", {"runIds": [run.run_id]})
    if not result.ok:
        return f"GetJobRunDetails answered {result.code}: {result.details}"
    found = result.response.job_run_details.get(run.run_id)
    if found is None:
        return f"GetJobRunDetails left out run {run.run_id!r}"
    if found.job_id != run.job_id or _name("api.JobRunState", found.state) != state:
        return (
            f"GetJobRunDetails says run {run.run_id!r} is {_name('api.JobRunState', found.state)} of job "
            f"{found.job_id!r}; GetJobDetails says {state} of {run.job_id!r}"
        )
    return ""


@family(
    "SEMANTICS-JobDetailsAgree",
    "SEMANTICS",
    "GetJobDetails and GetJobRunDetails agree with a job's events: queue and job set, the job's state, one "
    "run per lease, the latest run's id and state (a job that ran: succeeded; a running job cancelled: "
    "cancelled)",
    mutating=True,
    methods=("Jobs/GetJobDetails", "Jobs/GetJobRunDetails"),
    source="internal/server/queryapi/query_api.go",
)
def details_agree(ctx: RunContext) -> None:
    ctx.require_offered("Jobs/GetJobDetails")
    queue, job_set = ctx.create_queue(), ctx.name("js")
    ran, long = submit(ctx, queue, job_set, job(ctx), job(ctx, "long"))
    kinds_until(ctx, queue, job_set, long, frozenset({"running"}) | ENDED)
    ctx.call("Submit/CancelJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [long], "reason": "conformance"})
    for job_id in (ran, long):
        kinds = kinds_until(ctx, queue, job_set, job_id, ENDED)
        problem = until(ctx, functools.partial(_details_problem, ctx, queue, job_set, job_id, kinds), _empty)
        if problem:
            raise CheckFailed(
                f"the details of job {job_id} disagree with its events: {problem}", {"job_id": job_id, "events": kinds}
            )


@family(
    "SEMANTICS-JobErrors",
    "SEMANTICS",
    "GetJobErrors reports the error of a job that failed (its container ran `false`) and leaves unknown ids out",
    mutating=True,
    methods=("Jobs/GetJobErrors",),
    source="internal/server/queryapi/query_api.go",
)
def job_errors(ctx: RunContext) -> None:
    ctx.require_offered("Jobs/GetJobErrors")
    queue, job_set = ctx.create_queue(), ctx.name("js")
    [failing] = submit(ctx, queue, job_set, job(ctx, "fail"))
    kinds = kinds_until(ctx, queue, job_set, failing, ENDED)
    if "failed" not in kinds:
        raise CheckFailed(
            f"a job whose container runs `false` did not fail within {ctx.target.timeout:g} s",
            {"job_id": failing, "events": kinds},
        )
    absent = ctx.name("absent-job")

    def errors() -> Any:
        result = ctx.call("Jobs/GetJobErrors", {"jobIds": [failing, absent]})
        return result.response.job_errors if result.ok else result

    got = until(ctx, errors, lambda e: not hasattr(e, "code") and bool(e.get(failing)))
    if hasattr(got, "code"):
        raise CheckFailed(f"GetJobErrors answered {got.code}: {got.details}", {"job_id": failing})
    if not got.get(failing):
        raise CheckFailed(
            "GetJobErrors does not report the error of the failed job", {"job_id": failing, "answer": dict(got)}
        )
    if absent in got:
        raise CheckFailed("GetJobErrors reports an error for a job id the server never issued", {"job_id": absent})
