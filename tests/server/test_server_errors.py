"""Bad input for every method: a precise code with a message, never UNKNOWN/INTERNAL, never a hang."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_kit import EVENT, QUEUES, SUBMIT, assert_error, item, ok

import protos
from conformance.transport.grpc_client import GrpcClient, GrpcResult

# Every method, given an empty request: the code it must answer and a word its message must hold.
EMPTY_REQUEST = {
    "SubmitJobs": ("INVALID_ARGUMENT", "queue"),
    "CancelJobs": ("INVALID_ARGUMENT", "queue"),
    "CancelJobSet": ("INVALID_ARGUMENT", "queue"),
    "ReprioritizeJobs": ("INVALID_ARGUMENT", "queue"),
    "PreemptJobs": ("INVALID_ARGUMENT", "job_ids"),
    "CreateQueue": ("INVALID_ARGUMENT", "name"),
    "CreateQueues": ("OK", ""),
    "UpdateQueue": ("INVALID_ARGUMENT", "name"),
    "UpdateQueues": ("OK", ""),
    "DeleteQueue": ("INVALID_ARGUMENT", "name"),
    "GetQueue": ("INVALID_ARGUMENT", "name"),
    "GetQueues": ("OK", ""),
    "Health": ("OK", ""),
    "GetQueueInfo": ("INVALID_ARGUMENT", "name"),
    "CordonQueue": ("INVALID_ARGUMENT", "name"),
    "UncordonQueue": ("INVALID_ARGUMENT", "name"),
    "PreemptOnQueue": ("INVALID_ARGUMENT", "name"),
    "CancelOnQueue": ("INVALID_ARGUMENT", "name"),
    "GetJobSetEvents": ("INVALID_ARGUMENT", "queue"),
    "Watch": ("UNIMPLEMENTED", "GetJobSetEvents"),
    # api.Jobs: queries by id; no ids is an empty answer.
    "GetJobStatus": ("OK", ""),
    "GetJobStatusUsingExternalJobUri": ("OK", ""),
    "GetJobDetails": ("OK", ""),
    "GetJobErrors": ("OK", ""),
    "GetJobRunDetails": ("OK", ""),
    "GetActiveQueues": ("OK", ""),
    # api.RetryPolicyService: every call by name needs one.
    "CreateRetryPolicy": ("INVALID_ARGUMENT", "name"),
    "UpdateRetryPolicy": ("INVALID_ARGUMENT", "name"),
    "DeleteRetryPolicy": ("INVALID_ARGUMENT", "name"),
    "GetRetryPolicy": ("INVALID_ARGUMENT", "name"),
    "GetRetryPolicies": ("OK", ""),
}
ALL_METHODS = [(s, m.name, m.server_streaming) for s in protos.SERVICES for m in protos.service(s).methods]
NEVER = {"UNKNOWN", "INTERNAL", "DEADLINE_EXCEEDED", "UNAVAILABLE"}
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def call(client: GrpcClient, service: str, method: str, streaming: bool, request: Any) -> GrpcResult:
    """One call of any shape, with a short deadline: a hang shows up as DEADLINE_EXCEEDED."""
    if streaming:
        return client.stream(f"{service}/{method}", request, timeout=5)
    return client.call(f"{service}/{method}", request, timeout=5)


def test_the_table_covers_every_method() -> None:
    assert {name for _, name, _ in ALL_METHODS} == set(EMPTY_REQUEST)


@pytest.mark.parametrize(("service", "method", "streaming"), ALL_METHODS, ids=[f"{s}/{m}" for s, m, _ in ALL_METHODS])
def test_empty_request_gets_a_precise_code(client: GrpcClient, service: str, method: str, streaming: bool) -> None:
    code, word = EMPTY_REQUEST[method]
    result = call(client, service, method, streaming, {})
    if code == "OK":
        ok(result)
    else:
        assert_error(result, code, word)


@pytest.mark.parametrize("method", ["SubmitJobs", "CreateQueue"])
def test_oversized_request_is_resource_exhausted(client: GrpcClient, queue: str, method: str) -> None:
    huge = "x" * (5 * 1024 * 1024)
    request = (
        {"queue": queue, "jobSetId": "s", "jobRequestItems": [item(annotations={"a": huge})]}
        if method == "SubmitJobs"
        else {"name": "big", "labels": {"a": huge}}
    )
    result = client.call(f"{SUBMIT}/{method}", request, timeout=20)
    assert result.code == "RESOURCE_EXHAUSTED", (result.code, result.details[:200])
    assert_error(client.call(f"{SUBMIT}/GetQueue", {"name": "big"}), "NOT_FOUND")
    ok(client.call(f"{SUBMIT}/Health", {}))


def test_contradictory_submit_fields(client: GrpcClient, queue: str) -> None:
    spec = item()["podSpec"]
    assert_error(
        client.call(
            f"{SUBMIT}/SubmitJobs", {"queue": queue, "jobSetId": "s", "jobRequestItems": [item(podSpecs=[spec, spec])]}
        ),
        "INVALID_ARGUMENT",
        "not both",
    )


def message(full_name: str, /, **fields: Any) -> Any:
    """A request built as a message, so NaN and infinities reach the server as they are."""
    return protos.message_class(full_name)(**fields)


@SETTINGS
@given(
    name=TEXT,
    priority_factor=st.floats(),
    owners=st.lists(TEXT, max_size=3),
    kind=TEXT,
    verbs=st.lists(TEXT, max_size=3),
)
def test_random_queues_never_crash(
    client: GrpcClient, name: str, priority_factor: float, owners: list[str], kind: str, verbs: list[str]
) -> None:
    permission = message(
        "api.Queue.Permissions", verbs=verbs, subjects=[message("api.Queue.Permissions.Subject", kind=kind, name=name)]
    )
    queue = message(
        "api.Queue", name=name, priority_factor=priority_factor, user_owners=owners, permissions=[permission]
    )
    for method in ("CreateQueue", "UpdateQueue"):
        result = client.call(f"{QUEUES}/{method}", queue, timeout=5)
        assert result.code not in NEVER, (method, result.code, result.details)
        assert result.ok or result.details
    result = client.call(f"{QUEUES}/GetQueue", {"name": name}, timeout=5)
    assert result.code in {"OK", "NOT_FOUND", "INVALID_ARGUMENT"}, (result.code, result.details)


@SETTINGS
@given(
    job_set=TEXT,
    priority=st.floats(),
    namespace=TEXT,
    image=TEXT,
    ids=st.lists(TEXT, max_size=3),
    from_id=TEXT,
    use_queue=st.booleans(),
)
def test_random_job_requests_never_crash(
    client: GrpcClient,
    queue: str,
    job_set: str,
    priority: float,
    namespace: str,
    image: str,
    ids: list[str],
    from_id: str,
    use_queue: bool,
) -> None:
    target = queue if use_queue else job_set
    pod = message(
        "k8s.io.api.core.v1.PodSpec", containers=[message("k8s.io.api.core.v1.Container", name="c", image=image)]
    )
    job = message("api.JobSubmitRequestItem", priority=priority, namespace=namespace, pod_spec=pod)
    requests = [
        (
            SUBMIT,
            "SubmitJobs",
            False,
            message("api.JobSubmitRequest", queue=target, job_set_id=job_set, job_request_items=[job]),
        ),
        (SUBMIT, "CancelJobs", False, message("api.JobCancelRequest", queue=target, job_set_id=job_set, job_ids=ids)),
        (
            SUBMIT,
            "ReprioritizeJobs",
            False,
            message("api.JobReprioritizeRequest", queue=target, job_set_id=job_set, job_ids=ids, new_priority=priority),
        ),
        (SUBMIT, "PreemptJobs", False, message("api.JobPreemptRequest", queue=target, job_set_id=job_set, job_ids=ids)),
        (
            EVENT,
            "GetJobSetEvents",
            True,
            message("api.JobSetRequest", queue=target, id=job_set, from_message_id=from_id),
        ),
    ]
    for service, method, streaming, request in requests:
        result = call(client, service, method, streaming, request)
        assert result.code not in NEVER, (method, result.code, result.details)
        assert result.ok or result.details, method
