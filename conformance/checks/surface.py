"""SURFACE: does each method of the profile answer at all, over each transport?

Each method is probed with a request built to be refused or harmless (names that
do not exist, empty batches), so the probes are safe on a real deployment and run
under --read-only. Any definite answer passes; UNIMPLEMENTED (HTTP 501) is "not
offered"; UNKNOWN, INTERNAL, UNAVAILABLE, a 5xx or a timeout fails.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import CheckFailed, NotOffered, family
from conformance.context import RunContext, tiny_job
from conformance.profiles import all_methods, is_streaming, profiles_of, rest_bound

BROKEN_CODES = frozenset({"UNKNOWN", "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "DATA_LOSS"})


def probe_request(method: str, absent: str) -> dict[str, Any]:
    """A request for ``method`` that names only the absent queue ``absent``."""
    name = method.split("/")[1]
    by_name: dict[str, dict[str, Any]] = {
        "SubmitJobs": {"queue": absent, "jobSetId": "probe", "jobRequestItems": [tiny_job()]},
        "CancelJobs": {"queue": absent, "jobSetId": "probe"},
        "CancelJobSet": {"queue": absent, "jobSetId": "probe"},
        "ReprioritizeJobs": {"queue": absent, "jobSetId": "probe", "newPriority": 1},
        "PreemptJobs": {"queue": absent, "jobSetId": "probe", "jobIds": ["probe"]},
        "CreateQueue": {"name": ""},
        "CreateQueues": {"queues": []},
        "UpdateQueue": {"name": absent, "priorityFactor": 1},
        "UpdateQueues": {"queues": []},
        "GetQueues": {"num": 1},
        "GetJobSetEvents": {"queue": absent, "id": "probe"},
        "Watch": {"queue": absent, "jobSetId": "probe"},
        "Health": {},
        "GetJobStatus": {"jobIds": [absent]},
        "GetJobStatusUsingExternalJobUri": {"queue": absent, "jobset": "probe", "externalJobUri": "probe"},
        "GetJobDetails": {"jobIds": [absent]},
        "GetJobErrors": {"jobIds": [absent]},
        "GetJobRunDetails": {"runIds": [absent]},
        "GetActiveQueues": {},
        "CreateRetryPolicy": {"name": ""},
        "UpdateRetryPolicy": {"name": absent, "defaultAction": "RETRY_ACTION_FAIL"},
        "GetRetryPolicies": {},
    }
    return by_name.get(name, {"name": absent})


def _rows() -> list[dict[str, Any]]:
    rows = []
    for method in all_methods():
        rows.append({"method": method, "M": method.replace("/", "."), "transport": "grpc", "T": "GRPC"})
        if rest_bound(method):
            rows.append({"method": method, "M": method.replace("/", "."), "transport": "rest", "T": "REST"})
    return rows


@family("SURFACE-{M}-{T}", "SURFACE", "{method} answers a well-formed request over {transport} "
        "with a definite status (UNIMPLEMENTED is reported as not offered)", _rows(),
        profiles=lambda row: profiles_of(row["method"]))
def method_answers(ctx: RunContext, method: str, M: str, transport: str, T: str) -> None:
    request = probe_request(method, ctx.name("absent"))
    if transport == "grpc":
        _grpc_answers(ctx, method, request)
    else:
        _rest_answers(ctx, method, request)


def _grpc_answers(ctx: RunContext, method: str, request: dict[str, Any]) -> None:
    call = ctx.stream if is_streaming(method) else ctx.call
    kwargs = {"limit": 2} if is_streaming(method) else {}
    result = call(method, request, **kwargs)
    if result.code == "UNIMPLEMENTED":
        raise NotOffered(f"{method} answered UNIMPLEMENTED: {result.details}")
    if result.code in BROKEN_CODES:
        raise CheckFailed(f"{method} answered {result.code}: {result.details}",
                          {"request": request, "code": result.code, "details": result.details})


def _rest_answers(ctx: RunContext, method: str, request: dict[str, Any]) -> None:
    rest = ctx.require_rest()
    send = rest.stream if is_streaming(method) else rest.call
    kwargs = {"limit": 2} if is_streaming(method) else {}
    try:
        result = send(f"api.{method}", request, headers=ctx.headers(), **kwargs)
    except Exception as exc:  # connection reset, timeout: the endpoint did not answer
        raise CheckFailed(f"{method} over REST did not answer: {exc}", {"request": request}) from None
    if result.status == 501:
        raise NotOffered(f"{method} over REST answered 501 Not Implemented")
    if result.status >= 500:
        raise CheckFailed(f"{method} over REST answered HTTP {result.status}",
                          {"request": request, "status": result.status, "body": result.text[:500]})
