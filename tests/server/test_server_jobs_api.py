"""api.Jobs on the reference server, over real gRPC and REST sockets.

Status, details, errors and run details must agree with the job set's events: a job
that ran has one run in the state its last event says, a cancelled running job a
cancelled run, a failed job (its container ran ``false``) an error. Unknown ids map
to UNKNOWN or are left out; too many ids is a plain error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from server_kit import POD, assert_error, create_queue, event_body, events, kind, life_of, ok, submit

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

JOBS = "api.Jobs"


def _pod(command: list[str]) -> dict[str, Any]:
    return {**POD, "containers": [{**POD["containers"][0], "command": command}]}


def status(client: GrpcClient, *job_ids: str) -> dict[str, str]:
    result = ok(client.call(f"{JOBS}/GetJobStatus", {"jobIds": list(job_ids)}))
    from reference_server.jobs import JobState

    return {k: JobState.values_by_number[v].name for k, v in result.response.job_states.items()}


def details(client: GrpcClient, *job_ids: str) -> Any:
    return ok(
        client.call(f"{JOBS}/GetJobDetails", {"jobIds": list(job_ids), "expandJobRun": True, "expandJobSpec": True})
    ).response.job_details


def run_state(run: Any) -> str:
    from reference_server.jobs import JobRunState

    return JobRunState.values_by_number[run.state].name


def test_finished_job_has_one_succeeded_run_matching_its_events(client: GrpcClient, queue: str, job_set: str) -> None:
    [job_id] = submit(client, queue, job_set)
    assert status(client, job_id) == {job_id: "SUCCEEDED"}
    found = details(client, job_id)[job_id]
    assert (found.queue, found.jobset, found.namespace) == (queue, job_set, "default")
    assert found.job_spec.id == job_id and found.submitted_ts.seconds > 0
    [run] = found.job_runs
    assert run.run_id == found.latest_run_id and run.job_id == job_id
    assert run_state(run) == "RUN_STATE_SUCCEEDED" and run.node and run.cluster
    assert run.leased_ts.seconds and run.started_ts.seconds and run.finished_ts.seconds
    stream = events(client, queue, job_set)
    carried = {event_body(m).kubernetes_id for m in stream if kind(m) in ("pending", "running", "succeeded")}
    assert carried == {run.run_id}, "the run's later events carry its id as kubernetes_id"
    runs = ok(client.call(f"{JOBS}/GetJobRunDetails", {"runIds": [run.run_id, "no-such-run"]})).response
    assert list(runs.job_run_details) == [run.run_id]
    assert runs.job_run_details[run.run_id] == run


def test_unknown_ids_are_unknown_or_left_out(client: GrpcClient) -> None:
    assert status(client, "no-such-job") == {"no-such-job": "UNKNOWN"}
    assert not details(client, "no-such-job")
    assert not ok(client.call(f"{JOBS}/GetJobErrors", {"jobIds": ["no-such-job"]})).response.job_errors


def test_failed_job_reports_its_error(client: GrpcClient, queue: str, job_set: str) -> None:
    [job_id] = submit(client, queue, job_set, podSpec=_pod(["false"]))
    assert life_of(events(client, queue, job_set), job_id)[-1] == "failed"
    assert status(client, job_id) == {job_id: "FAILED"}
    errors = ok(client.call(f"{JOBS}/GetJobErrors", {"jobIds": [job_id]})).response.job_errors
    assert "code 1" in errors[job_id]
    [run] = details(client, job_id)[job_id].job_runs
    assert run_state(run) == "RUN_STATE_FAILED"


def test_cancelled_running_job_has_a_cancelled_run(client: GrpcClient, queue: str, job_set: str) -> None:
    [job_id] = submit(client, queue, job_set, podSpec=_pod(["sleep", "600"]))
    assert status(client, job_id) == {job_id: "RUNNING"}
    active = ok(client.call(f"{JOBS}/GetActiveQueues", {})).response.active_queues_by_pool
    assert queue in active["default"].queues
    ok(client.call("api.Submit/CancelJobs", {"queue": queue, "jobSetId": job_set, "jobIds": [job_id]}))
    assert status(client, job_id) == {job_id: "CANCELLED"}
    found = details(client, job_id)[job_id]
    assert [run_state(r) for r in found.job_runs] == ["RUN_STATE_CANCELLED"]
    assert found.cancel_ts.seconds and found.cancel_user == "anonymous"
    active = ok(client.call(f"{JOBS}/GetActiveQueues", {})).response.active_queues_by_pool
    assert queue not in active["default"].queues


def test_queued_job_has_no_run(client: GrpcClient, held_queue: str, job_set: str) -> None:
    [job_id] = submit(client, held_queue, job_set)
    assert status(client, job_id) == {job_id: "QUEUED"}
    found = details(client, job_id)[job_id]
    assert not found.job_runs and not found.latest_run_id


def test_external_job_uri_finds_the_job(client: GrpcClient, queue: str, job_set: str) -> None:
    [job_id] = submit(client, queue, job_set, externalJobUri="https://example.com/job/1")
    request = {"queue": queue, "jobset": job_set, "externalJobUri": "https://example.com/job/1"}
    result = ok(client.call(f"{JOBS}/GetJobStatusUsingExternalJobUri", request)).response
    assert dict(result.job_states) == {job_id: 3}


def test_too_many_ids_is_a_plain_error() -> None:
    with (
        BackgroundServer(ServerConfig(grpc_port=0, http_port=0, max_query_items=2)) as running,
        GrpcClient(running.grpc_target, timeout=10.0) as client,
    ):
        assert_error(client.call(f"{JOBS}/GetJobStatus", {"jobIds": ["a", "b", "c"]}), "UNKNOWN", "too many")
        assert_error(client.call(f"{JOBS}/GetJobRunDetails", {"runIds": ["a", "b", "c"]}), "UNKNOWN", "run ids")
        ok(client.call(f"{JOBS}/GetJobStatus", {"jobIds": ["a", "b"]}))
        response = requests.post(f"{running.rest_url}/v1/job/details", json={"jobIds": ["a", "b", "c"]}, timeout=10)
        assert response.status_code == 500 and "too many" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        ("/v1/job/status", {"jobIds": ["no-such-job"]}, "jobStates"),
        ("/v1/job/details", {"jobIds": ["no-such-job"]}, None),
        ("/v1/job/errors", {"jobIds": ["no-such-job"]}, None),
        ("/v1/run/details", {"runIds": ["no-such-run"]}, None),
        ("/v1/queues/active", {}, None),
    ],
)
def test_rest_routes_answer(server: BackgroundServer, path: str, body: dict, key: str | None) -> None:
    response = requests.post(server.rest_url + path, json=body, timeout=10)
    assert response.status_code == 200, response.text
    if key:
        assert response.json()[key] == {"no-such-job": "UNKNOWN"}


def test_rest_details_agree_with_grpc(
    server: BackgroundServer, client: GrpcClient, new_name: Callable[[str], str]
) -> None:
    queue, job_set = create_queue(client, new_name("q")), new_name("set")
    [job_id] = submit(client, queue, job_set)
    deadline = time.monotonic() + 5
    while status(client, job_id)[job_id] != "SUCCEEDED" and time.monotonic() < deadline:
        time.sleep(0.05)
    response = requests.post(
        f"{server.rest_url}/v1/job/details", json={"jobIds": [job_id], "expandJobRun": True}, timeout=10
    )
    body = response.json()["jobDetails"][job_id]
    grpc_side = details(client, job_id)[job_id]
    assert body["latestRunId"] == grpc_side.latest_run_id
    assert [r["runId"] for r in body["jobRuns"]] == [r.run_id for r in grpc_side.job_runs]
