"""Server-level faults really change behaviour: each test runs a server with one fault on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from server_kit import EVENT, QUEUES, SUBMIT, assert_error, create_queue, events, ids, life_of, ok, submit

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.faults import Faults

GET = f"{EVENT}/GetJobSetEvents"


@contextmanager
def faulty(fault: str, **config: float) -> Iterator[GrpcClient]:
    with (
        BackgroundServer(ServerConfig(faults=Faults([fault]), **config)) as running,
        GrpcClient(running.grpc_target, timeout=5) as client,
    ):
        yield client


@pytest.fixture
def filled() -> Callable[[GrpcClient], tuple[str, str, list]]:
    def fill(client: GrpcClient) -> tuple[str, str, list]:
        queue = create_queue(client, "q")
        submit(client, queue, "s", 2)
        return queue, "s", events(client, queue, "s")

    return fill


def test_resume_duplicates_event(filled: Callable) -> None:
    with faulty("resume-duplicates-event") as client:
        queue, job_set, full = filled(client)
        assert ids(events(client, queue, job_set, fromMessageId="4"))[0] == "4"
    assert len(full) == 12


def test_resume_drops_event(filled: Callable) -> None:
    with faulty("resume-drops-event") as client:
        queue, job_set, _ = filled(client)
        assert ids(events(client, queue, job_set, fromMessageId="4"))[0] == "6"


def test_watch_false_hangs() -> None:
    with faulty("watch-false-hangs") as client:
        queue = create_queue(client, "q")
        submit(client, queue, "s", 2)
        result = client.stream(GET, {"queue": queue, "id": "s"}, timeout=1)
        assert result.code == "DEADLINE_EXCEEDED" and len(result.messages) == 12


def test_no_error_if_missing() -> None:
    with faulty("no-error-if-missing") as client:
        queue = create_queue(client, "q")
        ok(client.stream(GET, {"queue": queue, "id": "nothing", "errorIfMissing": True}))


def test_no_cancelled_event() -> None:
    with faulty("no-cancelled-event") as client:
        queue = create_queue(client, "q", cordoned=True)
        (job,) = submit(client, queue, "s")
        ok(client.call(f"{SUBMIT}/CancelJobs", {"queue": queue, "jobSetId": "s", "jobIds": [job]}))
        assert life_of(events(client, queue, "s"), job) == ["submitted", "queued", "cancelling"]


def test_queue_info_wrong_counts() -> None:
    with faulty("queue-info-wrong-counts", pace_ms=60_000) as client:
        queue = create_queue(client, "q")
        submit(client, queue, "s", 2)
        info = ok(client.call(f"{SUBMIT}/GetQueueInfo", {"name": queue})).response
        assert [(s.queued_jobs, s.leased_jobs) for s in info.active_job_sets] == [(2, 0)]
        ok(client.call(f"{QUEUES}/CancelOnQueue", {"name": queue}))


def test_duplicate_queue_accepted() -> None:
    with faulty("duplicate-queue-accepted") as client:
        create_queue(client, "q")
        ok(client.call(f"{SUBMIT}/CreateQueue", {"name": "q"}))


def test_notfound_wrong_code() -> None:
    with faulty("notfound-wrong-code") as client:
        assert client.call(f"{SUBMIT}/GetQueue", {"name": "absent"}).code == "INTERNAL"


def test_unimplemented_queue_info() -> None:
    with faulty("unimplemented-queue-info") as client:
        queue = create_queue(client, "q")
        assert_error(client.call(f"{SUBMIT}/GetQueueInfo", {"name": queue}), "UNIMPLEMENTED", "GetQueueInfo")
