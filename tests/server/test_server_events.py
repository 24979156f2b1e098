"""GetJobSetEvents end to end: resume, watch, errors, concurrent watchers and disconnects."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from server_kit import EVENT, LIFE, QUEUES, SUBMIT, assert_error, create_queue, events, ids, life_of, ok, submit

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer

Names = Callable[[str], str]
GET = f"{EVENT}/GetJobSetEvents"


def wire(messages: list[Any]) -> list[bytes]:
    """Messages as bytes, so comparisons cover every field."""
    return [m.SerializeToString() for m in messages]


def read_watch(
    client: GrpcClient, queue: str, job_set: str, count: int, from_id: str = "", stop_after: int | None = None
) -> list[Any]:
    """Read ``count`` messages of a watch=true stream (or ``stop_after`` of them), then hang up."""
    call = client.open_stream(GET, {"queue": queue, "id": job_set, "watch": True, "fromMessageId": from_id}, timeout=60)
    received: list[Any] = []
    try:
        for message in call:
            received.append(message)
            if len(received) >= (stop_after or count):
                break
    finally:
        call.cancel()
    return received


def test_ids_increase_and_watch_false_ends(client: GrpcClient, queue: str, job_set: str) -> None:
    submit(client, queue, job_set, 3)
    messages = events(client, queue, job_set)
    assert len(messages) == 3 * len(LIFE)
    assert [int(i) for i in ids(messages)] == sorted({int(i) for i in ids(messages)})


def test_resume_from_every_id_has_no_gap_and_no_duplicate(client: GrpcClient, queue: str, job_set: str) -> None:
    submit(client, queue, job_set, 2)
    full = events(client, queue, job_set)
    for n, message in enumerate(full):
        assert wire(events(client, queue, job_set, fromMessageId=message.id)) == wire(full[n + 1 :])


BOGUS_IDS = ["abc", "0", "-1", "13", "99999999999999999999", "1.5", " 1", "01", "\uff11", "\u00b2"]


@pytest.mark.parametrize("bogus", BOGUS_IDS)
def test_bogus_from_message_id_is_invalid_argument(client: GrpcClient, queue: str, job_set: str, bogus: str) -> None:
    submit(client, queue, job_set, 2)  # 12 events: "13" is one past the end
    for watch in (False, True):
        result = client.stream(GET, {"queue": queue, "id": job_set, "fromMessageId": bogus, "watch": watch}, timeout=5)
        assert_error(result, "INVALID_ARGUMENT", "from_message_id", job_set)


def test_bogus_from_message_id_on_unknown_job_set(client: GrpcClient, queue: str, job_set: str) -> None:
    """An unknown job set has no messages, so no id can be resumed after, watching or not."""
    for watch in (False, True):
        result = client.stream(GET, {"queue": queue, "id": job_set, "fromMessageId": "5", "watch": watch}, timeout=5)
        assert_error(result, "INVALID_ARGUMENT", "from_message_id")


def test_error_if_missing(client: GrpcClient, queue: str, job_set: str) -> None:
    assert_error(
        client.stream(GET, {"queue": queue, "id": job_set, "errorIfMissing": True}), "NOT_FOUND", job_set, queue
    )
    assert ok(client.stream(GET, {"queue": queue, "id": job_set})).messages == []
    submit(client, queue, job_set)
    assert len(ok(client.stream(GET, {"queue": queue, "id": job_set, "errorIfMissing": True})).messages) == 6


def test_watching_does_not_make_a_job_set_exist(client: GrpcClient, queue: str, job_set: str) -> None:
    call = client.open_stream(GET, {"queue": queue, "id": job_set, "watch": True}, timeout=0.5)
    with pytest.raises(grpc.RpcError) as raised:
        list(call)
    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert_error(client.stream(GET, {"queue": queue, "id": job_set, "errorIfMissing": True}), "NOT_FOUND", job_set)


def test_request_errors(client: GrpcClient, queue: str, new_name: Names) -> None:
    missing = new_name("missing")
    assert_error(client.stream(GET, {"queue": missing, "id": "s"}), "NOT_FOUND", missing)
    assert_error(client.stream(GET, {"queue": queue}), "INVALID_ARGUMENT", "id")
    assert_error(client.stream(GET, {"id": "s"}), "INVALID_ARGUMENT", "queue")


def test_watch_method_is_unimplemented_and_points_to_get_job_set_events(client: GrpcClient) -> None:
    assert_error(client.stream(f"{EVENT}/Watch", {"queue": "q", "jobSetId": "s"}), "UNIMPLEMENTED", "GetJobSetEvents")


def test_watch_true_delivers_new_events(client: GrpcClient, queue: str, job_set: str) -> None:
    submit(client, queue, job_set)
    with ThreadPoolExecutor(1) as pool:
        watcher = pool.submit(read_watch, client, queue, job_set, 12)
        time.sleep(0.2)
        assert not watcher.done(), "a watch=true stream ended after catching up"
        (second,) = submit(client, queue, job_set)
        received = watcher.result(timeout=30)
    assert life_of(received, second) == LIFE
    assert wire(received) == wire(events(client, queue, job_set))


def test_watch_true_on_future_job_set_waits_for_it(client: GrpcClient, queue: str, job_set: str) -> None:
    with ThreadPoolExecutor(1) as pool:
        watcher = pool.submit(read_watch, client, queue, job_set, 6)
        time.sleep(0.2)
        (job,) = submit(client, queue, job_set)
        assert life_of(watcher.result(timeout=30), job) == LIFE


def test_watch_true_resumes_after_id(client: GrpcClient, queue: str, job_set: str) -> None:
    submit(client, queue, job_set, 2)
    full = events(client, queue, job_set)
    assert wire(read_watch(client, queue, job_set, 6, from_id=full[5].id)) == wire(full[6:])


def _watcher(client: GrpcClient, queue: str, job_set: str, total: int, seed: int) -> list[Any]:
    """Watch until ``total`` messages; odd seeds hang up part-way and resume from the last id."""
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, 0.3))
    received: list[Any] = []
    while len(received) < total:
        stop_after = rng.randint(1, 80) if seed % 2 else None
        from_id = received[-1].id if received else ""
        batch = read_watch(
            client,
            queue,
            job_set,
            total - len(received),
            from_id,
            stop_after=min(stop_after or total, total - len(received)),
        )
        received.extend(batch)
    return received


def test_concurrent_watchers_see_one_identical_order(
    server: BackgroundServer, client: GrpcClient, queue: str, job_set: str
) -> None:
    batches, per_batch, watchers = 20, 5, 20
    submit(client, queue, job_set, per_batch)
    total = (batches + 1) * per_batch * len(LIFE)
    clients = [GrpcClient(server.grpc_target) for _ in range(watchers // 2)]
    try:
        with ThreadPoolExecutor(watchers) as pool:
            futures = [
                pool.submit(_watcher, clients[n % len(clients)] if n % 4 else client, queue, job_set, total, n)
                for n in range(watchers)
            ]
            for _ in range(batches):
                submit(client, queue, job_set, per_batch)
                time.sleep(0.01)
            results = [f.result(timeout=60) for f in futures]
    finally:
        for extra in clients:
            extra.close()
    reference = events(client, queue, job_set)
    assert ids(reference) == [str(n) for n in range(1, total + 1)]
    for n, received in enumerate(results):
        assert wire(received) == wire(reference), f"watcher {n} saw a different sequence"


def test_disconnect_mid_stream_loses_nothing_for_others(
    server: BackgroundServer, client: GrpcClient, queue: str, job_set: str
) -> None:
    submit(client, queue, job_set, 5)
    leaver = GrpcClient(server.grpc_target)
    call = leaver.open_stream(GET, {"queue": queue, "id": job_set, "watch": True}, timeout=30)
    with ThreadPoolExecutor(1) as pool:
        stayer = pool.submit(read_watch, client, queue, job_set, 60)
        assert len([next(call) for _ in range(3)]) == 3
        leaver.close()  # the channel goes away under an open stream
        submit(client, queue, job_set, 5)
        stayed = stayer.result(timeout=30)
    later = events(client, queue, job_set)
    assert ids(later) == [str(n) for n in range(1, 61)]
    assert wire(stayed) == wire(later)


def test_cancelled_replay_of_a_long_set_leaves_the_log_intact(
    client: GrpcClient, held_queue: str, job_set: str
) -> None:
    submit(client, held_queue, job_set, 1500)  # 3000 events: several chunks
    partial = client.stream(GET, {"queue": held_queue, "id": job_set}, limit=700)
    assert partial.ok and len(partial.messages) == 700
    full = events(client, held_queue, job_set)
    assert ids(full) == [str(n) for n in range(1, 3001)]
    assert wire(full[:700]) == wire(partial.messages)


def test_watchers_of_other_job_sets_are_not_disturbed(client: GrpcClient, queue: str, new_name: Names) -> None:
    quiet, busy = new_name("quiet"), new_name("busy")
    (quiet_job,) = submit(client, queue, quiet)
    with ThreadPoolExecutor(1) as pool:
        watcher = pool.submit(read_watch, client, queue, quiet, 12)
        submit(client, queue, busy, 20)
        (second,) = submit(client, queue, quiet)
        received = watcher.result(timeout=30)
    assert life_of(received, quiet_job) == LIFE and life_of(received, second) == LIFE


def test_events_of_a_recreated_queue_do_not_break_job_methods(client: GrpcClient, new_name: Names) -> None:
    """Deleting a queue forgets its jobs; a job set of the same name later must still work."""
    queue, job_set = create_queue(client, new_name("again")), new_name("set")
    submit(client, queue, job_set)
    ok(client.call(f"{SUBMIT}/DeleteQueue", {"name": queue}))
    create_queue(client, queue)
    ok(client.call(f"{SUBMIT}/CancelJobSet", {"queue": queue, "jobSetId": job_set}))
    ok(client.call(f"{QUEUES}/CancelOnQueue", {"name": queue}))
    (job,) = submit(client, queue, job_set)
    assert life_of(events(client, queue, job_set), job) == LIFE
    assert_error(
        client.call(f"{SUBMIT}/CancelJobs", {"queue": queue, "jobSetId": job_set, "jobIds": ["x"]}), "NOT_FOUND", "x"
    )


def test_replays_during_submissions_are_contiguous(client: GrpcClient, queue: str, job_set: str) -> None:
    submit(client, queue, job_set, 10)
    done = threading.Event()

    def keep_submitting() -> None:
        # Bounded: an endless submitter would grow the job set faster than a loaded machine replays it.
        for _ in range(200):
            if done.is_set():
                return
            submit(client, queue, job_set, 2)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(keep_submitting)
        try:
            for _ in range(5):
                replay = events(client, queue, job_set)
                assert [int(i) for i in ids(replay)] == list(range(1, len(replay) + 1))
                assert len(replay) % len(LIFE) == 0
        finally:
            done.set()
