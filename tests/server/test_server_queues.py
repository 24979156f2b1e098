"""Queue methods end to end over gRPC, on both ``api.Submit`` and ``api.QueueService``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from server_kit import EVENT, LIFE, QUEUES, SUBMIT, assert_error, create_queue, events, kind, life_of, ok, submit

from conformance.transport.grpc_client import GrpcClient

BOTH = pytest.mark.parametrize("service", [SUBMIT, QUEUES])
Names = Callable[[str], str]


@BOTH
def test_create_then_get_round_trips_every_field(client: GrpcClient, new_name: Names, service: str) -> None:
    name = new_name("rt")
    queue = {
        "name": name,
        "priorityFactor": 2.5,
        "userOwners": ["alice"],
        "groupOwners": ["team"],
        "resourceLimits": {"cpu": 0.5},
        "labels": {"tier": "gold"},
        "permissions": [{"subjects": [{"kind": "Group", "name": "team"}], "verbs": ["submit", "cancel"]}],
    }
    ok(client.call(f"{service}/CreateQueue", queue))
    got = ok(client.call(f"{service}/GetQueue", {"name": name})).response
    assert got.name == name
    assert got.priority_factor == 2.5
    assert list(got.user_owners) == ["alice"] and list(got.group_owners) == ["team"]
    assert dict(got.resource_limits) == {"cpu": 0.5} and dict(got.labels) == {"tier": "gold"}
    assert got.permissions[0].subjects[0].name == "team" and list(got.permissions[0].verbs) == ["submit", "cancel"]
    assert not got.cordoned


def test_unset_priority_factor_defaults_to_one(client: GrpcClient, new_name: Names) -> None:
    name = create_queue(client, new_name("pf"))
    assert ok(client.call(f"{SUBMIT}/GetQueue", {"name": name})).response.priority_factor == 1.0


@BOTH
def test_create_existing_queue_is_already_exists(client: GrpcClient, queue: str, service: str) -> None:
    assert_error(client.call(f"{service}/CreateQueue", {"name": queue}), "ALREADY_EXISTS", queue)


@pytest.mark.parametrize(
    ("queue", "words"),
    [
        ({"name": ""}, ["name", "required"]),
        ({"name": "bad name!"}, ["bad name!", "letters"]),
        ({"name": "-starts-with-dash"}, ["starting with"]),
        ({"name": "x" * 64}, ["1-63"]),
        ({"name": "negative-pf", "priorityFactor": -1}, ["priority_factor"]),
        ({"name": "bad-kind", "permissions": [{"subjects": [{"kind": "Robot", "name": "r"}]}]}, ["Robot", "kind"]),
        ({"name": "no-subject-name", "permissions": [{"subjects": [{"kind": "User"}]}]}, ["subject name"]),
        ({"name": "bad-verb", "permissions": [{"verbs": ["fly"]}]}, ["fly", "verb"]),
    ],
    ids=["empty", "spaces", "dash", "too-long", "negative-priority", "kind", "subject-name", "verb"],
)
def test_invalid_queue_is_refused_with_the_reason(client: GrpcClient, queue: dict, words: list[str]) -> None:
    assert_error(client.call(f"{QUEUES}/CreateQueue", queue), "INVALID_ARGUMENT", *words)
    if queue["name"]:
        assert_error(client.call(f"{QUEUES}/GetQueue", {"name": queue["name"]}), "NOT_FOUND")


@BOTH
def test_get_unknown_queue_is_not_found(client: GrpcClient, new_name: Names, service: str) -> None:
    missing = new_name("missing")
    assert_error(client.call(f"{service}/GetQueue", {"name": missing}), "NOT_FOUND", missing)
    assert_error(client.call(f"{service}/GetQueue", {}), "INVALID_ARGUMENT", "name")


@BOTH
def test_update_changes_the_queue(client: GrpcClient, queue: str, service: str) -> None:
    ok(client.call(f"{service}/UpdateQueue", {"name": queue, "priorityFactor": 7, "labels": {"a": "b"}}))
    got = ok(client.call(f"{service}/GetQueue", {"name": queue})).response
    assert got.priority_factor == 7 and dict(got.labels) == {"a": "b"}


@BOTH
def test_update_unknown_or_invalid_queue(client: GrpcClient, queue: str, new_name: Names, service: str) -> None:
    missing = new_name("missing")
    assert_error(client.call(f"{service}/UpdateQueue", {"name": missing}), "NOT_FOUND", missing)
    assert_error(
        client.call(f"{service}/UpdateQueue", {"name": queue, "priorityFactor": -2}),
        "INVALID_ARGUMENT",
        "priority_factor",
    )


@BOTH
def test_delete_queue(client: GrpcClient, queue: str, new_name: Names, service: str) -> None:
    ok(client.call(f"{service}/DeleteQueue", {"name": queue}))
    assert_error(client.call(f"{service}/GetQueue", {"name": queue}), "NOT_FOUND", queue)
    assert_error(client.call(f"{service}/DeleteQueue", {"name": queue}), "NOT_FOUND", queue)
    assert_error(client.call(f"{service}/DeleteQueue", {}), "INVALID_ARGUMENT", "name")


def test_delete_queue_with_active_jobs_is_refused(client: GrpcClient, held_queue: str, job_set: str) -> None:
    submit(client, held_queue, job_set, 2)
    assert_error(
        client.call(f"{SUBMIT}/DeleteQueue", {"name": held_queue}), "FAILED_PRECONDITION", held_queue, "cancel"
    )
    ok(client.call(f"{SUBMIT}/CancelJobSet", {"queue": held_queue, "jobSetId": job_set}))
    ok(client.call(f"{SUBMIT}/DeleteQueue", {"name": held_queue}))


def test_deleted_queue_can_be_created_again_without_its_old_jobs(client: GrpcClient, queue: str, job_set: str) -> None:
    submit(client, queue, job_set)
    ok(client.call(f"{SUBMIT}/DeleteQueue", {"name": queue}))
    create_queue(client, queue)
    assert not ok(client.call(f"{SUBMIT}/GetQueueInfo", {"name": queue})).response.active_job_sets


@BOTH
def test_get_queues_lists_every_queue_then_one_end_marker(client: GrpcClient, new_name: Names, service: str) -> None:
    mine = {create_queue(client, new_name("list")) for _ in range(3)}
    messages = ok(client.stream(f"{service}/GetQueues", {})).messages
    assert [m.WhichOneof("event") for m in messages[:-1]] == ["queue"] * (len(messages) - 1)
    assert messages[-1].WhichOneof("event") == "end"
    assert mine <= {m.queue.name for m in messages[:-1]}


@BOTH
def test_get_queues_num_limits_the_count(client: GrpcClient, new_name: Names, service: str) -> None:
    create_queue(client, new_name("a"))
    create_queue(client, new_name("b"))
    messages = ok(client.stream(f"{service}/GetQueues", {"num": 2})).messages
    assert [m.WhichOneof("event") for m in messages] == ["queue", "queue", "end"]


@BOTH
def test_create_queues_reports_each_failure_and_creates_the_rest(
    client: GrpcClient, queue: str, new_name: Names, service: str
) -> None:
    good, bad = new_name("good"), "bad name"
    response = ok(
        client.call(f"{service}/CreateQueues", {"queues": [{"name": good}, {"name": queue}, {"name": bad}]})
    ).response
    failed = {f.queue.name: f.error for f in response.failed_queues}
    assert set(failed) == {queue, bad}
    assert "already exists" in failed[queue] and "invalid" in failed[bad]
    ok(client.call(f"{service}/GetQueue", {"name": good}))


@BOTH
def test_update_queues_reports_each_failure_and_updates_the_rest(
    client: GrpcClient, queue: str, new_name: Names, service: str
) -> None:
    missing = new_name("missing")
    response = ok(
        client.call(f"{service}/UpdateQueues", {"queues": [{"name": queue, "priorityFactor": 3}, {"name": missing}]})
    ).response
    assert [(f.queue.name, missing in f.error) for f in response.failed_queues] == [(missing, True)]
    assert ok(client.call(f"{service}/GetQueue", {"name": queue})).response.priority_factor == 3
    assert_error(client.call(f"{service}/GetQueue", {"name": missing}), "NOT_FOUND")


def test_empty_batch_is_ok_and_fails_nothing(client: GrpcClient) -> None:
    assert not ok(client.call(f"{SUBMIT}/CreateQueues", {})).response.failed_queues
    assert not ok(client.call(f"{QUEUES}/UpdateQueues", {})).response.failed_queues


@pytest.mark.parametrize("service", [SUBMIT, EVENT])
def test_health_is_serving(client: GrpcClient, service: str) -> None:
    response = ok(client.call(f"{service}/Health", {})).response
    assert response.status == response.SERVING


def test_cordon_holds_jobs_and_uncordon_releases_them(client: GrpcClient, queue: str, job_set: str) -> None:
    ok(client.call(f"{QUEUES}/CordonQueue", {"name": queue}))
    assert ok(client.call(f"{QUEUES}/GetQueue", {"name": queue})).response.cordoned
    (job,) = submit(client, queue, job_set)
    assert life_of(events(client, queue, job_set), job) == ["submitted", "queued"]
    ok(client.call(f"{QUEUES}/UncordonQueue", {"name": queue}))
    assert not ok(client.call(f"{QUEUES}/GetQueue", {"name": queue})).response.cordoned
    assert life_of(events(client, queue, job_set), job) == LIFE


@pytest.mark.parametrize("method", ["CordonQueue", "UncordonQueue"])
def test_cordon_unknown_queue_is_not_found(client: GrpcClient, new_name: Names, method: str) -> None:
    missing = new_name("missing")
    assert_error(client.call(f"{QUEUES}/{method}", {"name": missing}), "NOT_FOUND", missing)
    assert_error(client.call(f"{QUEUES}/{method}", {}), "INVALID_ARGUMENT", "name")


def test_queue_info_counts_queued_jobs_per_job_set(client: GrpcClient, held_queue: str, new_name: Names) -> None:
    first, second = new_name("a"), new_name("b")
    submit(client, held_queue, first, 3)
    submit(client, held_queue, second, 2)
    info = ok(client.call(f"{SUBMIT}/GetQueueInfo", {"name": held_queue})).response
    assert info.name == held_queue
    assert {(s.name, s.queued_jobs, s.leased_jobs) for s in info.active_job_sets} == {(first, 3, 0), (second, 2, 0)}
    ok(client.call(f"{QUEUES}/UncordonQueue", {"name": held_queue}))
    assert not ok(client.call(f"{SUBMIT}/GetQueueInfo", {"name": held_queue})).response.active_job_sets


def test_queue_info_counts_leased_jobs(paced_client: GrpcClient, new_name: Names) -> None:
    queue, job_set = create_queue(paced_client, new_name("paced")), new_name("set")
    submit(paced_client, queue, job_set, 4)
    info = ok(paced_client.call(f"{SUBMIT}/GetQueueInfo", {"name": queue})).response
    assert [(s.name, s.queued_jobs, s.leased_jobs) for s in info.active_job_sets] == [(job_set, 0, 4)]
    ok(paced_client.call(f"{QUEUES}/CancelOnQueue", {"name": queue}))


def test_queue_info_errors(client: GrpcClient, new_name: Names) -> None:
    missing = new_name("missing")
    assert_error(client.call(f"{SUBMIT}/GetQueueInfo", {"name": missing}), "NOT_FOUND", missing)
    assert_error(client.call(f"{SUBMIT}/GetQueueInfo", {}), "INVALID_ARGUMENT", "name")


def test_cancel_on_queue_cancels_every_job_set(client: GrpcClient, held_queue: str, new_name: Names) -> None:
    sets = [new_name("a"), new_name("b")]
    jobs = {s: submit(client, held_queue, s, 2) for s in sets}
    ok(client.call(f"{QUEUES}/CancelOnQueue", {"name": held_queue}))
    for job_set, job_ids in jobs.items():
        messages = events(client, held_queue, job_set)
        for job in job_ids:
            assert life_of(messages, job) == ["submitted", "queued", "cancelling", "cancelled"]


def test_cancel_on_queue_filters_by_job_state(client: GrpcClient, queue: str, job_set: str) -> None:
    (done,) = submit(client, queue, job_set)
    ok(client.call(f"{QUEUES}/CordonQueue", {"name": queue}))
    (waiting,) = submit(client, queue, job_set)
    ok(client.call(f"{QUEUES}/CancelOnQueue", {"name": queue, "jobStates": ["RUNNING"]}))
    assert life_of(events(client, queue, job_set), waiting) == ["submitted", "queued"]
    ok(client.call(f"{QUEUES}/CancelOnQueue", {"name": queue, "jobStates": ["QUEUED"]}))
    messages = events(client, queue, job_set)
    assert life_of(messages, waiting)[-1] == "cancelled"
    assert life_of(messages, done) == LIFE


def test_preempt_on_queue_preempts_leased_jobs(paced_client: GrpcClient, new_name: Names) -> None:
    queue, job_set = create_queue(paced_client, new_name("paced")), new_name("set")
    job_ids = submit(paced_client, queue, job_set, 2)
    ok(paced_client.call(f"{QUEUES}/PreemptOnQueue", {"name": queue}))
    messages = events(paced_client, queue, job_set)
    for job in job_ids:
        assert life_of(messages, job) == ["submitted", "queued", "leased", "preempting", "preempted"]
    preempted = [m.message.preempted for m in messages if kind(m) == "preempted"]
    assert all(p.requestor == "anonymous" and p.cluster_id for p in preempted)


def test_preempt_on_queue_leaves_queued_jobs(client: GrpcClient, held_queue: str, job_set: str) -> None:
    (job,) = submit(client, held_queue, job_set)
    ok(client.call(f"{QUEUES}/PreemptOnQueue", {"name": held_queue}))
    assert life_of(events(client, held_queue, job_set), job) == ["submitted", "queued"]


@pytest.mark.parametrize("method", ["CancelOnQueue", "PreemptOnQueue"])
def test_on_queue_methods_unknown_queue(client: GrpcClient, new_name: Names, method: str) -> None:
    missing = new_name("missing")
    assert_error(client.call(f"{QUEUES}/{method}", {"name": missing}), "NOT_FOUND", missing)
    assert_error(client.call(f"{QUEUES}/{method}", {}), "INVALID_ARGUMENT", "name")
