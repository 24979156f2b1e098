"""What the checks ask of each method: probe requests, requests it must refuse, sample objects.

One table per question, read by SURFACE, PARITY, SEMANTICS and SWAGGER, so that a
request ("SubmitJobs to a queue that does not exist") is written once. Every request
is written as real Armada's REST gateway accepts it (camelCase keys, quantities as
strings); the gRPC client reads the same dicts (``conformance.dialects``). Methods are
spelled ``Service/Method`` (``conformance.eras``); tables keyed by the bare method name
hold for every service that has it (``Submit/CreateQueue`` and ``QueueService/CreateQueue``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.releases import Release
from conformance.target_jobs import DEFAULT_JOBS, JobTemplate

Request = dict[str, Any]
# A queue write every release refuses: priorityFactor below 1 (``pkg/client/queue/priority_factor.go``). Not
# an empty name (no release validates names: "" is created) nor an UpdateQueue of an absent name (an upsert
# from v0.4.48): both would create a queue on a real server.
BAD_PRIORITY_FACTOR = 0.5


def tiny_job(jobs: JobTemplate = DEFAULT_JOBS, kind: str = "short", **fields: Any) -> Request:
    """A job of the target's ``[jobs]`` template (``conformance.target_jobs``): ``short``, ``long`` or ``fail``.

    Quantities are bare strings, the only form real Armada's REST gateway takes
    (``{"string": ...}`` is refused with 400); the gRPC client reads the same form.
    """
    return jobs.item(kind, **fields)


def sample_job(jobs: JobTemplate = DEFAULT_JOBS) -> Request:
    """A short job carrying a label and a non-zero enum (ServiceType Headless) into its events."""
    return jobs.item("short", labels={"team": "conformance"}, services=[{"type": "Headless", "ports": [8080]}])


# A queue with every kind of field set (owners, permissions, limits, labels): what PARITY
# compares across transports and the SWAGGER samples validate.
RICH_QUEUE: Request = {
    "priorityFactor": 2,
    "userOwners": ["conformance-owner"],
    "groupOwners": ["conformance-group"],
    "permissions": [{"subjects": [{"kind": "Group", "name": "conformance-group"}], "verbs": ["watch"]}],
    "resourceLimits": {"cpu": 0.5},
    "labels": {"team": "conformance"},
}

# Requests that name only the queue ``absent`` (which does not exist), by method name:
# harmless anywhere, and refused by every server that checks its input.
ABSENT: dict[str, Callable[[str], Request]] = {
    "SubmitJobs": lambda a: {"queue": a, "jobSetId": f"{a}-js", "jobRequestItems": [tiny_job()]},
    "CancelJobs": lambda a: {"queue": a, "jobSetId": f"{a}-js"},
    "CancelJobSet": lambda a: {"queue": a, "jobSetId": f"{a}-js"},
    "ReprioritizeJobs": lambda a: {"queue": a, "jobSetId": f"{a}-js", "newPriority": 1},
    "PreemptJobs": lambda a: {"queue": a, "jobSetId": f"{a}-js", "jobIds": ["x"]},
    "UpdateQueue": lambda a: {"name": a, "priorityFactor": BAD_PRIORITY_FACTOR},
    "GetJobSetEvents": lambda a: {"queue": a, "id": f"{a}-js"},
    "Watch": lambda a: {"queue": a, "jobSetId": f"{a}-js"},
}

# SURFACE probes where the absent-queue request is not the harmless one.
_PROBE_ONLY: dict[str, Request] = {
    "CreateQueues": {"queues": []},
    "UpdateQueues": {"queues": []},
    "GetQueues": {"num": 1},
    "Health": {},
    "GetActiveQueues": {},
    "GetRetryPolicies": {},
}
# SURFACE probes of api.Jobs and api.RetryPolicyService that name only ids / a policy that do not exist.
_PROBE_ABSENT: dict[str, Callable[[str], Request]] = {
    "GetJobStatus": lambda a: {"jobIds": [a]},
    "GetJobStatusUsingExternalJobUri": lambda a: {"queue": a, "jobset": "probe", "externalJobUri": "probe"},
    "GetJobDetails": lambda a: {"jobIds": [a]},
    "GetJobErrors": lambda a: {"jobIds": [a]},
    "GetJobRunDetails": lambda a: {"runIds": [a]},
    "UpdateRetryPolicy": lambda a: {"name": a, "defaultAction": "RETRY_ACTION_FAIL"},
    "CreateQueue": lambda a: {"name": a, "priorityFactor": BAD_PRIORITY_FACTOR},
    "CreateRetryPolicy": lambda a: {"name": a},  # run-owned (in the ledger), never ""
}

# PARITY / SEMANTICS refusals where the absent-queue request is not the refused one.
_REFUSED_ONLY: dict[str, Callable[[str], Request]] = {
    "CreateQueue": lambda a: {"name": a, "priorityFactor": BAD_PRIORITY_FACTOR},
    "UpdateQueue": lambda a: {"name": a, "priorityFactor": BAD_PRIORITY_FACTOR},
    "GetJobSetEvents": lambda a: {"queue": a, "id": f"{a}-js", "errorIfMissing": True},
    "CreateRetryPolicy": lambda a: {"name": "", "defaultAction": "RETRY_ACTION_FAIL"},
    "UpdateRetryPolicy": lambda a: {"name": a, "defaultAction": "RETRY_ACTION_FAIL"},
}

# Methods whose refusal PARITY compares across transports (each needs a request it must refuse).
REFUSING = (
    "Submit/SubmitJobs",
    "Submit/CancelJobs",
    "Submit/CancelJobSet",
    "Submit/ReprioritizeJobs",
    "Submit/PreemptJobs",
    "Submit/CreateQueue",
    "Submit/UpdateQueue",
    "Submit/DeleteQueue",
    "Submit/GetQueue",
    "Submit/GetQueueInfo",
    "Event/GetJobSetEvents",
    "RetryPolicyService/CreateRetryPolicy",
    "RetryPolicyService/UpdateRetryPolicy",
    "RetryPolicyService/GetRetryPolicy",
)

# The codes a refusal may carry, where Armada's contract allows more than one.
REFUSAL_CODES: dict[str, frozenset[str]] = {
    "Submit/SubmitJobs": frozenset({"NOT_FOUND", "INVALID_ARGUMENT"}),
}
# What a feature of the judged release adds (conformance/releases.py): from v0.4.44 SubmitJobs wraps
# every authorize error, the queue (cache) not finding the queue included, as PERMISSION_DENIED.
FEATURE_REFUSAL_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("submit_denies_absent_queue", "Submit/SubmitJobs"): frozenset({"PERMISSION_DENIED"}),
}
# Requests real Armada accepts although they name nothing: DeleteQueue of an absent queue answers
# OK in every era. PARITY then asks for the same acceptance on both transports.
MAY_ACCEPT = frozenset({"Submit/DeleteQueue"})


def refusal_codes(method: str, judged: Release) -> frozenset[str]:
    """The codes a refusal of ``method``'s ``refused`` request may carry on a server of the ``judged`` release."""
    added = [codes for (feature, m), codes in FEATURE_REFUSAL_CODES.items() if m == method and judged.has(feature)]
    return REFUSAL_CODES[method].union(*added)


def _name(method: str) -> str:
    return method.split("/")[-1]


def probe(method: str, absent: str, jobs: JobTemplate = DEFAULT_JOBS) -> Request:
    """A request for ``method`` built to be refused or harmless, naming only the absent queue ``absent``."""
    name = _name(method)
    if name in _PROBE_ONLY:
        return _with_jobs(dict(_PROBE_ONLY[name]), jobs)
    if name in _PROBE_ABSENT:
        return _PROBE_ABSENT[name](absent)
    return _with_jobs(ABSENT[name](absent), jobs) if name in ABSENT else {"name": absent}


def refused(method: str, absent: str, jobs: JobTemplate = DEFAULT_JOBS) -> Request:
    """A request ``method`` must refuse (it names the absent queue ``absent``, or no queue)."""
    name = _name(method)
    make = _REFUSED_ONLY.get(name) or ABSENT.get(name)
    return _with_jobs(make(absent), jobs) if make else {"name": absent}


def _with_jobs(request: Request, jobs: JobTemplate) -> Request:
    """Every job the suite sends comes from the target's template, even one sent to be refused."""
    if "jobRequestItems" in request and jobs is not DEFAULT_JOBS:
        request["jobRequestItems"] = [jobs.item() for _ in request["jobRequestItems"]]
    return request
