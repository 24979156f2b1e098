"""Job methods end to end over gRPC: submit, cancel, cancel a job set, reprioritize, preempt."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from server_kit import (
    LIFE,
    POD,
    QUEUES,
    SUBMIT,
    assert_error,
    create_queue,
    event_body,
    events,
    item,
    kind,
    life_of,
    ok,
    submit,
)

from conformance.transport.grpc_client import GrpcClient

Names = Callable[[str], str]
HELD = ["submitted", "queued"]
CANCELLED = [*HELD, "cancelling", "cancelled"]


def test_submit_returns_unique_ulid_job_ids(client: GrpcClient, queue: str, job_set: str) -> None:
    job_ids = submit(client, queue, job_set, 50) + submit(client, queue, job_set, 50)
    assert len(set(job_ids)) == 100
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{26}", j) for j in job_ids), job_ids[:3]


def test_job_lives_its_whole_life_in_events(client: GrpcClient, queue: str, job_set: str) -> None:
    (job,) = submit(client, queue, job_set, clientId="c-1", labels={"app": "x"})
    messages = events(client, queue, job_set)
    assert life_of(messages, job) == LIFE
    for message in messages:
        body = event_body(message)
        assert (body.job_id, body.job_set_id, body.queue) == (job, job_set, queue)
        assert body.created.seconds > 0
    submitted = messages[0].message.submitted.job
    assert (submitted.id, submitted.queue, submitted.job_set_id) == (job, queue, job_set)
    assert submitted.client_id == "c-1" and dict(submitted.labels) == {"app": "x"}
    assert submitted.pod_spec.containers[0].image == POD["containers"][0]["image"]
    assert messages[-1].message.succeeded.node_name


def test_owner_is_anonymous_in_development_mode(client: GrpcClient, queue: str, job_set: str) -> None:
    submit(client, queue, job_set)
    assert events(client, queue, job_set)[0].message.submitted.job.owner == "anonymous"


def test_submit_accepts_pod_specs_list_and_defaults_namespace(client: GrpcClient, queue: str, job_set: str) -> None:
    result = ok(
        client.call(
            f"{SUBMIT}/SubmitJobs", {"queue": queue, "jobSetId": job_set, "jobRequestItems": [{"podSpecs": [POD]}]}
        )
    )
    job = events(client, queue, job_set)[0].message.submitted.job
    assert job.id == result.response.job_response_items[0].job_id
    assert job.namespace == "default" and len(job.pod_specs) == 1


@pytest.mark.parametrize(
    ("request_fields", "code", "words"),
    [
        ({"jobSetId": "s", "jobRequestItems": [item()]}, "INVALID_ARGUMENT", ["queue", "required"]),
        ({"queue": "{queue}", "jobRequestItems": [item()]}, "INVALID_ARGUMENT", ["job_set_id"]),
        ({"queue": "{queue}", "jobSetId": "s"}, "INVALID_ARGUMENT", ["job_request_items"]),
        ({"queue": "no-such-queue-x", "jobSetId": "s", "jobRequestItems": [item()]}, "NOT_FOUND", ["no-such-queue-x"]),
    ],
    ids=["no-queue", "no-job-set", "no-items", "unknown-queue"],
)
def test_submit_request_errors(
    client: GrpcClient, queue: str, request_fields: dict, code: str, words: list[str]
) -> None:
    request = {k: (v.format(queue=queue) if isinstance(v, str) else v) for k, v in request_fields.items()}
    assert_error(client.call(f"{SUBMIT}/SubmitJobs", request), code, *words)


@pytest.mark.parametrize(
    ("bad_item", "words"),
    [
        ({"priority": 1}, ["item 1", "pod spec"]),
        (item(podSpecs=[POD]), ["item 1", "not both"]),
        (item(podSpec={"containers": []}), ["item 1", "no containers"]),
        (item(podSpec={"containers": [{"name": "nameless"}]}), ["item 1", "nameless", "image"]),
        (item(priority=-1), ["item 1", "priority"]),
    ],
    ids=["no-pod-spec", "both-specs", "no-containers", "no-image", "negative-priority"],
)
def test_submit_validates_each_item_and_stores_nothing(
    client: GrpcClient, queue: str, job_set: str, bad_item: dict, words: list[str]
) -> None:
    result = client.call(
        f"{SUBMIT}/SubmitJobs", {"queue": queue, "jobSetId": job_set, "jobRequestItems": [item(), bad_item, item()]}
    )
    assert_error(result, "INVALID_ARGUMENT", *words)
    assert "item 0" not in result.details and "item 2" not in result.details
    missing = client.stream("api.Event/GetJobSetEvents", {"queue": queue, "id": job_set, "errorIfMissing": True})
    assert_error(missing, "NOT_FOUND", job_set)


def test_submit_reports_every_bad_item(client: GrpcClient, queue: str, job_set: str) -> None:
    result = client.call(
        f"{SUBMIT}/SubmitJobs",
        {"queue": queue, "jobSetId": job_set, "jobRequestItems": [{"priority": 1}, item(), item(priority=-3)]},
    )
    assert_error(result, "INVALID_ARGUMENT", "item 0", "item 2")


def test_cancel_emits_cancelling_then_cancelled(client: GrpcClient, held_queue: str, job_set: str) -> None:
    first, second = submit(client, held_queue, job_set, 2)
    result = ok(
        client.call(
            f"{SUBMIT}/CancelJobs", {"queue": held_queue, "jobSetId": job_set, "jobId": first, "reason": "not needed"}
        )
    )
    assert list(result.response.cancelled_ids) == [first]
    messages = events(client, held_queue, job_set)
    assert life_of(messages, first) == CANCELLED
    assert life_of(messages, second) == HELD
    cancelled = messages[-1].message.cancelled
    assert (cancelled.requestor, cancelled.reason) == ("anonymous", "not needed")


def test_cancel_by_id_list_and_again_is_a_no_op(client: GrpcClient, held_queue: str, job_set: str) -> None:
    job_ids = submit(client, held_queue, job_set, 3)
    request = {"queue": held_queue, "jobSetId": job_set, "jobIds": job_ids[:2]}
    assert sorted(ok(client.call(f"{SUBMIT}/CancelJobs", request)).response.cancelled_ids) == sorted(job_ids[:2])
    assert not ok(client.call(f"{SUBMIT}/CancelJobs", request)).response.cancelled_ids
    assert life_of(events(client, held_queue, job_set), job_ids[2]) == HELD


def test_cancel_finished_job_cancels_nothing(client: GrpcClient, queue: str, job_set: str) -> None:
    (job,) = submit(client, queue, job_set)
    result = ok(client.call(f"{SUBMIT}/CancelJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [job]}))
    assert not result.response.cancelled_ids
    assert life_of(events(client, queue, job_set), job) == LIFE


def test_cancel_errors(client: GrpcClient, held_queue: str, job_set: str, new_name: Names) -> None:
    submit(client, held_queue, job_set)
    method = f"{SUBMIT}/CancelJobs"
    assert_error(
        client.call(method, {"queue": held_queue, "jobSetId": job_set, "jobIds": ["nope"]}),
        "NOT_FOUND",
        "nope",
        job_set,
    )
    assert_error(client.call(method, {"queue": held_queue, "jobIds": ["nope"]}), "INVALID_ARGUMENT", "job_set_id")
    assert_error(client.call(method, {"jobSetId": job_set}), "INVALID_ARGUMENT", "queue")
    missing = new_name("missing")
    assert_error(client.call(method, {"queue": missing, "jobSetId": job_set}), "NOT_FOUND", missing)


def test_cancel_job_set_with_state_filter(client: GrpcClient, queue: str, job_set: str) -> None:
    (done,) = submit(client, queue, job_set)
    ok(client.call(f"{QUEUES}/CordonQueue", {"name": queue}))
    waiting = submit(client, queue, job_set, 2)
    ok(
        client.call(
            f"{SUBMIT}/CancelJobSet",
            {"queue": queue, "jobSetId": job_set, "filter": {"states": ["RUNNING", "PENDING"]}},
        )
    )
    assert all(life_of(events(client, queue, job_set), j) == HELD for j in waiting)
    ok(
        client.call(
            f"{SUBMIT}/CancelJobSet",
            {"queue": queue, "jobSetId": job_set, "filter": {"states": ["QUEUED"]}, "reason": "tidy"},
        )
    )
    messages = events(client, queue, job_set)
    assert all(life_of(messages, j) == CANCELLED for j in waiting)
    assert life_of(messages, done) == LIFE


def test_cancel_job_set_without_filter_cancels_all(client: GrpcClient, held_queue: str, job_set: str) -> None:
    job_ids = submit(client, held_queue, job_set, 3)
    ok(client.call(f"{SUBMIT}/CancelJobSet", {"queue": held_queue, "jobSetId": job_set}))
    messages = events(client, held_queue, job_set)
    assert all(life_of(messages, j) == CANCELLED for j in job_ids)


def test_cancel_job_set_errors(client: GrpcClient, queue: str, new_name: Names) -> None:
    method = f"{SUBMIT}/CancelJobSet"
    assert_error(client.call(method, {"queue": queue}), "INVALID_ARGUMENT", "job_set_id")
    assert_error(client.call(method, {"jobSetId": "s"}), "INVALID_ARGUMENT", "queue")
    missing = new_name("missing")
    assert_error(client.call(method, {"queue": missing, "jobSetId": "s"}), "NOT_FOUND", missing)


def test_reprioritize_named_and_whole_set(client: GrpcClient, held_queue: str, job_set: str) -> None:
    first, second = submit(client, held_queue, job_set, 2)
    method = f"{SUBMIT}/ReprioritizeJobs"
    result = ok(client.call(method, {"queue": held_queue, "jobSetId": job_set, "jobIds": [first], "newPriority": 5}))
    assert dict(result.response.reprioritization_results) == {first: ""}
    messages = events(client, held_queue, job_set)
    assert life_of(messages, first) == [*HELD, "reprioritizing", "reprioritized"]
    assert messages[-1].message.reprioritized.new_priority == 5
    assert messages[-1].message.reprioritized.requestor == "anonymous"
    result = ok(client.call(method, {"queue": held_queue, "jobSetId": job_set, "newPriority": 2}))
    assert dict(result.response.reprioritization_results) == {first: "", second: ""}


def test_reprioritize_finished_job_says_why(client: GrpcClient, queue: str, job_set: str) -> None:
    (job,) = submit(client, queue, job_set)
    result = ok(
        client.call(
            f"{SUBMIT}/ReprioritizeJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [job], "newPriority": 3}
        )
    )
    assert "succeeded" in result.response.reprioritization_results[job]


def test_reprioritize_errors(client: GrpcClient, held_queue: str, job_set: str) -> None:
    (job,) = submit(client, held_queue, job_set)
    method = f"{SUBMIT}/ReprioritizeJobs"
    assert_error(
        client.call(method, {"queue": held_queue, "jobSetId": job_set, "jobIds": [job], "newPriority": -1}),
        "INVALID_ARGUMENT",
        "new_priority",
    )
    assert_error(
        client.call(method, {"queue": held_queue, "jobSetId": job_set, "jobIds": ["ghost"]}), "NOT_FOUND", "ghost"
    )
    assert_error(client.call(method, {"queue": held_queue, "jobIds": [job]}), "INVALID_ARGUMENT", "job_set_id")


def test_preempt_queued_job(client: GrpcClient, held_queue: str, job_set: str) -> None:
    first, second = submit(client, held_queue, job_set, 2)
    result = ok(
        client.call(
            f"{SUBMIT}/PreemptJobs",
            {"queue": held_queue, "jobSetId": job_set, "jobIds": [first], "reason": "make room"},
        )
    )
    assert dict(result.response.preemption_results) == {first: ""}
    messages = events(client, held_queue, job_set)
    assert life_of(messages, first) == [*HELD, "preempting", "preempted"]
    assert life_of(messages, second) == HELD
    assert messages[-1].message.preempted.reason == "make room"


def test_preempt_leased_job_stops_its_life(paced_client: GrpcClient, new_name: Names) -> None:
    queue, job_set = create_queue(paced_client, new_name("paced")), new_name("set")
    (job,) = submit(paced_client, queue, job_set)
    ok(paced_client.call(f"{SUBMIT}/PreemptJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [job]}))
    assert life_of(events(paced_client, queue, job_set), job) == [*HELD, "leased", "preempting", "preempted"]
    result = ok(paced_client.call(f"{SUBMIT}/PreemptJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [job]}))
    assert "preempted" in result.response.preemption_results[job]


def test_preempt_errors(client: GrpcClient, held_queue: str, job_set: str) -> None:
    submit(client, held_queue, job_set)
    method = f"{SUBMIT}/PreemptJobs"
    assert_error(client.call(method, {"queue": held_queue, "jobSetId": job_set}), "INVALID_ARGUMENT", "job_ids")
    assert_error(
        client.call(method, {"queue": held_queue, "jobSetId": job_set, "jobIds": ["ghost"]}), "NOT_FOUND", "ghost"
    )


def test_events_keep_every_kind_in_order_across_operations(client: GrpcClient, held_queue: str, job_set: str) -> None:
    first, second = submit(client, held_queue, job_set, 2)
    ok(
        client.call(
            f"{SUBMIT}/ReprioritizeJobs",
            {"queue": held_queue, "jobSetId": job_set, "jobIds": [second], "newPriority": 4},
        )
    )
    ok(client.call(f"{SUBMIT}/CancelJobs", {"queue": held_queue, "jobSetId": job_set, "jobIds": [first]}))
    ok(client.call(f"{QUEUES}/UncordonQueue", {"name": held_queue}))
    messages = events(client, held_queue, job_set)
    assert [(event_body(m).job_id, kind(m)) for m in messages] == [
        (first, "submitted"),
        (first, "queued"),
        (second, "submitted"),
        (second, "queued"),
        (second, "reprioritizing"),
        (second, "reprioritized"),
        (first, "cancelling"),
        (first, "cancelled"),
        *((second, k) for k in LIFE[2:]),
    ]
