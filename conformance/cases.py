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

HOLD_CPU = "100000"  # a request no cluster can satisfy: the job stays queued

Request = dict[str, Any]


def tiny_job(cpu: str = "100m") -> Request:
    """The smallest job Armada accepts: one container, small fixed resources.

    Quantities are bare strings, the only form real Armada's REST gateway takes
    (``{"string": ...}`` is refused with 400); the gRPC client reads the same form.
    """
    resources = {"cpu": cpu, "memory": "64Mi"}
    return {
        "priority": 1,
        "namespace": "default",
        "podSpec": {
            "containers": [
                {
                    "name": "main",
                    "image": "busybox:1.36",
                    "command": ["true"],
                    "resources": {"requests": resources, "limits": resources},
                }
            ]
        },
    }


def sample_job() -> Request:
    """A job that stays queued and carries a non-zero enum (ServiceType Headless) into its events."""
    return {
        **tiny_job(HOLD_CPU),
        "labels": {"team": "conformance"},
        "services": [{"type": "Headless", "ports": [8080]}],
    }


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
    "SubmitJobs": lambda a: {"queue": a, "jobSetId": "js", "jobRequestItems": [tiny_job()]},
    "CancelJobs": lambda a: {"queue": a, "jobSetId": "js"},
    "CancelJobSet": lambda a: {"queue": a, "jobSetId": "js"},
    "ReprioritizeJobs": lambda a: {"queue": a, "jobSetId": "js", "newPriority": 1},
    "PreemptJobs": lambda a: {"queue": a, "jobSetId": "js", "jobIds": ["x"]},
    "UpdateQueue": lambda a: {"name": a, "priorityFactor": 1},
    "GetJobSetEvents": lambda a: {"queue": a, "id": "js"},
    "Watch": lambda a: {"queue": a, "jobSetId": "js"},
}

# SURFACE probes where the absent-queue request is not the harmless one.
_PROBE_ONLY: dict[str, Request] = {
    "CreateQueue": {"name": ""},
    "CreateQueues": {"queues": []},
    "UpdateQueues": {"queues": []},
    "GetQueues": {"num": 1},
    "Health": {},
    "GetActiveQueues": {},
    "CreateRetryPolicy": {"name": ""},
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
}

# PARITY / SEMANTICS refusals where the absent-queue request is not the refused one.
_REFUSED_ONLY: dict[str, Callable[[str], Request]] = {
    "CreateQueue": lambda a: {"name": "", "priorityFactor": 1},
    "GetJobSetEvents": lambda a: {"queue": a, "id": "js", "errorIfMissing": True},
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


def probe(method: str, absent: str) -> Request:
    """A request for ``method`` built to be refused or harmless, naming only the absent queue ``absent``."""
    name = _name(method)
    if name in _PROBE_ONLY:
        return dict(_PROBE_ONLY[name])
    if name in _PROBE_ABSENT:
        return _PROBE_ABSENT[name](absent)
    return ABSENT[name](absent) if name in ABSENT else {"name": absent}


def refused(method: str, absent: str) -> Request:
    """A request ``method`` must refuse (it names the absent queue ``absent``, or no queue)."""
    name = _name(method)
    make = _REFUSED_ONLY.get(name) or ABSENT.get(name)
    return make(absent) if make else {"name": absent}
