"""PARITY rows of api.Jobs and api.RetryPolicyService: the same answers via gRPC and REST.

The scenarios follow ``parity.py``'s: one object read twice must be equal exactly; two
objects made the same way (one per transport) must be equal once their names are
masked. They feed ``parity.PARITY`` so ``same_result`` judges them the way it judges
every other method (releases without these services: "not offered"). Their refusals
(``PARITY-*-ERROR``) are rows of ``cases.REFUSING``. Jobs are held (they never run)
unless a run is what the method reports; policies are the run's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf import json_format

import protos
from conformance.checks import CheckFailed, parity
from conformance.checks.jobs_api import ENDED, job, kinds_until, submit, until
from conformance.context import RunContext
from conformance.dialects import DialectError, as_dict, parse
from conformance.retry_policies import create, policy_name, run_base, valid_policy

RP = "RetryPolicyService"


def _held(ctx: RunContext, **fields: Any) -> tuple[str, str, str]:
    queue, job_set = ctx.holding_queue(), ctx.name("js")
    [job_id] = submit(ctx, queue, job_set, job(ctx, "short" if ctx.holds_queued(queue) else "long", **fields))
    return queue, job_set, job_id


def _status(ctx: RunContext) -> parity.Pair:
    _, _, job_id = _held(ctx)
    return parity.call_both(ctx, "Jobs/GetJobStatus", {"jobIds": [job_id, ctx.name("absent-job")]})


def _status_by_uri(ctx: RunContext) -> parity.Pair:
    uri = f"https://conformance.invalid/{ctx.name('uri')}"
    queue, job_set, _ = _held(ctx, externalJobUri=uri)
    return parity.call_both(
        ctx, "Jobs/GetJobStatusUsingExternalJobUri", {"queue": queue, "jobset": job_set, "externalJobUri": uri}
    )


def _details(ctx: RunContext) -> parity.Pair:
    _, _, job_id = _held(ctx)
    return parity.call_both(
        ctx, "Jobs/GetJobDetails", {"jobIds": [job_id], "expandJobSpec": True, "expandJobRun": True}
    )


def _ended_job(ctx: RunContext, kind: str = "short") -> str:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    [job_id] = submit(ctx, queue, job_set, job(ctx, kind))
    kinds_until(ctx, queue, job_set, job_id, ENDED)
    return job_id


def _errors(ctx: RunContext) -> parity.Pair:
    job_id = _ended_job(ctx, "fail")
    request = {"jobIds": [job_id]}
    until(ctx, lambda: ctx.call("Jobs/GetJobErrors", request), lambda r: not r.ok or job_id in r.response.job_errors)
    return parity.call_both(ctx, "Jobs/GetJobErrors", request)


def _run_details(ctx: RunContext) -> parity.Pair:
    job_id = _ended_job(ctx)
    details = until(
        ctx,
        lambda: ctx.call("Jobs/GetJobDetails", {"jobIds": [job_id]}),
        lambda r: not r.ok or bool(r.response.job_details[job_id].latest_run_id),
    )
    run_id = details.response.job_details[job_id].latest_run_id if details.ok else ""
    if not run_id:
        raise CheckFailed(
            "the job that ran has no latestRunId to ask GetJobRunDetails about",
            {"job_id": job_id, "code": details.code},
        )
    return parity.call_both(ctx, "Jobs/GetJobRunDetails", {"runIds": [run_id]})


def _active_queues(ctx: RunContext) -> parity.Pair:
    """Other users' queues may change between the calls: compare only the run's queue."""
    queue, _, _ = _held(ctx)
    pair = parity.call_both(ctx, "Jobs/GetActiveQueues", {})
    try:
        rest = parse(pair.rest, "api.GetActiveQueuesResponse")
    except DialectError as exc:
        raise CheckFailed(
            f"the REST answer of GetActiveQueues is not valid JSON of its message: {exc}", {"rest": pair.rest}
        ) from None

    def ours(response: Any) -> dict[str, list[str]]:
        return {
            pool: [q for q in active.queues if q == queue]
            for pool, active in response.active_queues_by_pool.items()
            if queue in active.queues
        }

    return parity.Pair(pair.method, ours(pair.grpc), ours(rest))


def _policy_effect(method: str, make: Callable[[str], dict[str, Any]]) -> Callable[[RunContext], parity.Pair]:
    """Do ``method`` to one run-owned policy per transport; compare the policies afterwards (via gRPC)."""

    def scenario(ctx: RunContext) -> parity.Pair:
        if method.endswith("CreateRetryPolicy"):
            first, second = policy_name(ctx, "par"), policy_name(ctx, "par")
        else:
            first, second = create(ctx, "par"), create(ctx, "par")
        pair = parity.call_both(ctx, method, make(first), make(second))
        got = [ctx.call(f"{RP}/GetRetryPolicy", {"name": n}) for n in (first, second)]
        codes = [g.code for g in got]
        if method.endswith("DeleteRetryPolicy"):
            if codes != ["NOT_FOUND", "NOT_FOUND"]:
                raise CheckFailed(f"after DeleteRetryPolicy via gRPC and via REST, GetRetryPolicy answers {codes}", {})
            return pair
        if codes != ["OK", "OK"]:
            raise CheckFailed(f"after {method} via both transports, GetRetryPolicy answers {codes}", {})
        read = [as_dict(g.response) for g in got]
        written = [_as_written(make(n)) for n in (first, second)]
        if read != written:  # the comparison below needs the policies really stored
            raise CheckFailed(
                f"after {method} the policies do not read back as written", {"written": written, "read": read}
            )
        return parity.Pair(method, read[0], read[1], exact=False)

    return scenario


def _as_written(policy: dict[str, Any]) -> dict[str, Any]:
    return as_dict(
        json_format.ParseDict(policy, protos.message_class("api.RetryPolicy")(), descriptor_pool=protos.pool())
    )


def _get_policies(ctx: RunContext) -> parity.Pair:
    """Others may change their policies between the calls: compare only the run's."""
    create(ctx, "par")
    pair = parity.call_both(ctx, f"{RP}/GetRetryPolicies", {})
    grpc_side, rest_side = parity.comparable(pair)
    base = run_base(ctx) + "-"

    def ours(listing: dict[str, Any]) -> list[Any]:
        return [p for p in listing.get("retryPolicies", []) if p.get("name", "").startswith(base)]

    return parity.Pair(pair.method, {"retryPolicies": ours(grpc_side)}, {"retryPolicies": ours(rest_side)})


SUCCESS: dict[str, Callable[[RunContext], parity.Pair]] = {
    "Jobs/GetJobStatus": _status,
    "Jobs/GetJobStatusUsingExternalJobUri": _status_by_uri,
    "Jobs/GetJobDetails": _details,
    "Jobs/GetJobErrors": _errors,
    "Jobs/GetJobRunDetails": _run_details,
    "Jobs/GetActiveQueues": _active_queues,
    f"{RP}/CreateRetryPolicy": _policy_effect(f"{RP}/CreateRetryPolicy", valid_policy),
    f"{RP}/UpdateRetryPolicy": _policy_effect(f"{RP}/UpdateRetryPolicy", lambda n: valid_policy(n, retryLimit=4)),
    f"{RP}/DeleteRetryPolicy": _policy_effect(f"{RP}/DeleteRetryPolicy", lambda n: {"name": n}),
    f"{RP}/GetRetryPolicy": lambda ctx: parity.call_both(ctx, f"{RP}/GetRetryPolicy", {"name": create(ctx, "par")}),
    f"{RP}/GetRetryPolicies": _get_policies,
}

parity.PARITY.feed(SUCCESS)
