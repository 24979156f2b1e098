"""What each flavour's release decides, over real gRPC and REST (``shared/armada-semantics.md``).

One server per flavour for the module; the armada-2026 queue cache is refreshed by hand
right after each create (the cache itself is proved in ``test_semantics.py``), so every
test here judges one decision: the submit check, queue writes, raw errors, cancel answers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from conformance.transport.grpc_client import GrpcClient, GrpcResult
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.flavours import NAMES

SUBMIT, EVENT, JOBS = "api.Submit", "api.Event", "api.Jobs"
HUGE_CPU = "100000"  # more than the simulated cluster (1024 cores) will ever have
Client = Callable[[str], GrpcClient]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, BackgroundServer]]:
    running = {name: BackgroundServer(ServerConfig(flavour=name, queue_cache_s=30.0)).start() for name in NAMES}
    try:
        yield running
    finally:
        for server in running.values():
            server.stop()


@pytest.fixture
def client(servers: dict[str, BackgroundServer]) -> Iterator[Client]:
    opened: list[GrpcClient] = []

    def open_client(flavour: str) -> GrpcClient:
        opened.append(GrpcClient(servers[flavour].grpc_target, timeout=10.0).__enter__())
        return opened[-1]

    yield open_client
    for each in opened:
        each.__exit__(None, None, None)


def name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def queue(servers: dict[str, BackgroundServer], flavour: str, **fields: Any) -> str:
    """A new queue the flavour's submit path already sees (its queue cache refreshed)."""
    queue_name = name()
    with GrpcClient(servers[flavour].grpc_target, timeout=10.0) as grpc_client:
        created = grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": queue_name, "priorityFactor": 1, **fields})
    assert created.ok, created.details
    cache = servers[flavour].server.queue_cache
    if cache is not None:
        cache.refresh()
    return queue_name


def job(cpu: str = "100m", command: tuple[str, ...] = ("true",)) -> dict[str, Any]:
    container = {
        "name": "main",
        "image": "busybox:1.36",
        "command": list(command),
        "resources": {"requests": {"cpu": {"string": cpu}}, "limits": {"cpu": {"string": cpu}}},
    }
    return {"priority": 1, "namespace": "default", "podSpec": {"containers": [container]}}


def submit(grpc_client: GrpcClient, queue_name: str, *items: dict[str, Any]) -> GrpcResult:
    return grpc_client.call(f"{SUBMIT}/SubmitJobs", {"queue": queue_name, "jobSetId": "js", "jobRequestItems": items})


def kinds(grpc_client: GrpcClient, queue_name: str, job_id: str) -> list[Any]:
    streamed = grpc_client.stream(f"{EVENT}/GetJobSetEvents", {"queue": queue_name, "id": "js"})
    assert streamed.ok, streamed.details
    return [
        (m.message.WhichOneof("events"), getattr(m.message, m.message.WhichOneof("events")))
        for m in streamed.messages
        if getattr(m.message, m.message.WhichOneof("events")).job_id == job_id
    ]


def status(grpc_client: GrpcClient, job_id: str) -> str:
    answer = grpc_client.call(f"{JOBS}/GetJobStatus", {"jobIds": [job_id]})
    assert answer.ok, answer.details
    return protos_state(answer.response.job_states[job_id])


def protos_state(number: int) -> str:
    import protos

    return str(protos.pool().FindEnumTypeByName("api.JobState").values_by_number[number].name)


# ---- the submit check -------------------------------------------------------------------


def test_v03_refuses_an_unschedulable_job_at_submit(servers: dict[str, BackgroundServer], client: Client) -> None:
    grpc_client = client("armada-2023")
    refused = submit(grpc_client, queue(servers, "armada-2023"), job(cpu=HUGE_CPU))
    assert refused.code == "UNKNOWN" and refused.details.startswith("job "), refused.details
    assert "unschedulable: failed to schedule onto legacy scheduler" in refused.details


def test_current_accepts_then_rejects_an_unschedulable_job(
    servers: dict[str, BackgroundServer], client: Client
) -> None:
    grpc_client, queue_name = client("armada-2026"), queue(servers, "armada-2026")
    [item] = submit(grpc_client, queue_name, job(cpu=HUGE_CPU)).response.job_response_items
    seen = kinds(grpc_client, queue_name, item.job_id)
    assert [k for k, _ in seen] == ["submitted", "queued", "failed"]
    failed = seen[-1][1]
    assert failed.cause == 4 and failed.failure_subcategory == "job-rejected" and "pool default" in failed.reason
    assert status(grpc_client, item.job_id) == "REJECTED"


def test_current_never_checks_a_cordoned_queue_until_uncordoned(
    servers: dict[str, BackgroundServer], client: Client
) -> None:
    grpc_client, queue_name = client("armada-2026"), queue(servers, "armada-2026", cordoned=True)
    [item] = submit(grpc_client, queue_name, job(cpu=HUGE_CPU)).response.job_response_items
    assert status(grpc_client, item.job_id) == "QUEUED"
    assert grpc_client.call("api.QueueService/UncordonQueue", {"name": queue_name}).ok
    assert status(grpc_client, item.job_id) == "REJECTED"


def test_the_contract_keeps_an_unschedulable_job_queued(servers: dict[str, BackgroundServer], client: Client) -> None:
    grpc_client = client("contract")
    [item] = submit(grpc_client, queue(servers, "contract"), job(cpu=HUGE_CPU)).response.job_response_items
    assert status(grpc_client, item.job_id) == "QUEUED"


# ---- queue writes -----------------------------------------------------------------------


@pytest.mark.parametrize("flavour, upsert", [("contract", False), ("armada-2023", False), ("armada-2026", True)])
def test_queue_upserts(client: Client, flavour: str, upsert: bool) -> None:
    grpc_client, queue_name, absent = client(flavour), name(), name("absent")
    assert grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": queue_name, "priorityFactor": 1}).ok
    again = grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": queue_name, "priorityFactor": 3})
    updated = grpc_client.call(f"{SUBMIT}/UpdateQueue", {"name": absent, "priorityFactor": 2})
    got, made = (grpc_client.call(f"{SUBMIT}/GetQueue", {"name": n}) for n in (queue_name, absent))
    if upsert:
        assert again.ok and got.response.priority_factor == 3
        assert updated.ok and made.ok and made.response.priority_factor == 2
    else:
        assert again.code == "ALREADY_EXISTS" and got.response.priority_factor == 1
        assert updated.code == "NOT_FOUND" and made.code == "NOT_FOUND"
    for each in (queue_name, absent):
        grpc_client.call(f"{SUBMIT}/DeleteQueue", {"name": each})


@pytest.mark.parametrize("flavour", NAMES)
def test_queue_names_and_priority_factors(client: Client, flavour: str) -> None:
    grpc_client = client(flavour)
    empty = grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": "", "priorityFactor": 1})
    if flavour == "contract":
        assert empty.code == "INVALID_ARGUMENT"
    else:  # no release validates the name: "" is a queue
        assert empty.ok and grpc_client.call(f"{SUBMIT}/GetQueue", {"name": ""}).ok
        assert grpc_client.call(f"{SUBMIT}/DeleteQueue", {"name": ""}).ok
    low = grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": name(), "priorityFactor": 0.5})
    assert low.code == "INVALID_ARGUMENT" and "priority" in low.details.lower()


@pytest.mark.parametrize("flavour", ["armada-2023", "armada-2026"])
def test_owners_are_folded_into_permissions(client: Client, flavour: str) -> None:
    grpc_client, owned, unowned = client(flavour), name(), name()
    fields = {"priorityFactor": 1, "userOwners": ["alice"], "groupOwners": ["team"]}
    assert grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": owned, **fields}).ok
    assert grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": unowned, "priorityFactor": 1}).ok
    got = grpc_client.call(f"{SUBMIT}/GetQueue", {"name": owned}).response
    assert not got.user_owners and not got.group_owners
    [entry] = got.permissions
    assert [(s.kind, s.name) for s in entry.subjects] == [("User", "alice"), ("Group", "team")]
    assert {"submit", "cancel", "reprioritize", "watch"} <= set(entry.verbs)
    caller = grpc_client.call(f"{SUBMIT}/GetQueue", {"name": unowned}).response
    assert [(s.kind, s.name) for p in caller.permissions for s in p.subjects] == [("User", "anonymous")]


def test_the_contract_keeps_owners(client: Client) -> None:
    grpc_client, owned = client("contract"), name()
    assert grpc_client.call(f"{SUBMIT}/CreateQueue", {"name": owned, "priorityFactor": 1, "userOwners": ["al"]}).ok
    got = grpc_client.call(f"{SUBMIT}/GetQueue", {"name": owned}).response
    assert list(got.user_owners) == ["al"] and not got.permissions


# ---- raw errors ---------------------------------------------------------------------------

ABSENT_QUEUE_CALLS = [
    ("CancelJobs", {"jobIds": ["01h00000000000000000000000"], "jobSetId": "js"}),
    ("CancelJobSet", {"jobSetId": "js"}),
    ("ReprioritizeJobs", {"jobIds": ["01h00000000000000000000000"], "jobSetId": "js", "newPriority": 2}),
    ("PreemptJobs", {"jobIds": ["01h00000000000000000000000"], "jobSetId": "js"}),
]


@pytest.mark.parametrize("method, body", ABSENT_QUEUE_CALLS, ids=[m for m, _ in ABSENT_QUEUE_CALLS])
def test_current_answers_unknown_on_an_absent_queue(
    servers: dict[str, BackgroundServer], client: Client, method: str, body: dict[str, Any]
) -> None:
    absent = name("absent")
    answer = client("armada-2026").call(f"{SUBMIT}/{method}", {"queue": absent, **body})
    assert answer.code == "UNKNOWN" and f'could not find queue "{absent}"' in answer.details
    path = {"CancelJobs": "/v1/job/cancel", "CancelJobSet": "/v1/jobset/cancel"}.get(method)
    if path:  # the gateway answers a non-gRPC error with HTTP 500
        rest = requests.post(servers["armada-2026"].rest_url + path, json={"queue": absent, **body}, timeout=10)
        assert rest.status_code == 500 and rest.json()["code"] == 2, rest.text


@pytest.mark.parametrize("flavour", ["armada-2023", "armada-2026"])
def test_a_job_set_filter_armada_refuses_is_raw(
    servers: dict[str, BackgroundServer], client: Client, flavour: str
) -> None:
    body = {"queue": queue(servers, flavour), "jobSetId": "js", "filter": {"states": ["PENDING"]}}
    answer = client(flavour).call(f"{SUBMIT}/CancelJobSet", body)
    assert answer.code == "UNKNOWN" and "PENDING and RUNNING must always be used together" in answer.details
    assert client(flavour).call(f"{SUBMIT}/CancelJobSet", {**body, "filter": {"states": ["PENDING", "RUNNING"]}}).ok


@pytest.mark.parametrize("method", ["CordonQueue", "UncordonQueue"])
def test_current_cordoning_returns_its_errors_raw(client: Client, method: str) -> None:
    grpc_client, absent = client("armada-2026"), name("absent")
    missing = grpc_client.call(f"api.QueueService/{method}", {"name": absent})
    assert missing.code == "UNKNOWN" and f'could not find queue "{absent}"' in missing.details
    empty = grpc_client.call(f"api.QueueService/{method}", {"name": ""})
    assert empty.code == "UNKNOWN" and "queue with empty name" in empty.details
    assert client("contract").call(f"api.QueueService/{method}", {"name": absent}).code == "NOT_FOUND"


@pytest.mark.parametrize("flavour, code", [("armada-2026", "PERMISSION_DENIED"), ("armada-2023", "UNKNOWN")])
def test_submit_to_an_absent_queue(client: Client, flavour: str, code: str) -> None:
    absent = name("absent")
    answer = submit(client(flavour), absent, job())
    assert answer.code == code and f'could not find queue "{absent}"' in answer.details


def test_v03_answers_an_invalid_pod_spec_with_unknown(servers: dict[str, BackgroundServer], client: Client) -> None:
    no_containers = {"priority": 1, "namespace": "default", "podSpec": {"restartPolicy": "Never"}}
    answer = submit(client("armada-2023"), queue(servers, "armada-2023"), no_containers)
    assert answer.code == "UNKNOWN" and "containers" in answer.details
    assert submit(client("contract"), queue(servers, "contract"), no_containers).code == "INVALID_ARGUMENT"


def test_current_accepts_a_pod_with_no_containers_and_the_cluster_fails_it(
    servers: dict[str, BackgroundServer], client: Client
) -> None:
    """From v0.4.44 submit validation has no containers check; Kubernetes refuses the pod."""
    grpc_client, queue_name = client("armada-2026"), queue(servers, "armada-2026")
    no_containers = {"priority": 1, "namespace": "default", "podSpec": {"restartPolicy": "Never"}}
    [item] = submit(grpc_client, queue_name, no_containers).response.job_response_items
    seen = kinds(grpc_client, queue_name, item.job_id)
    assert [k for k, _ in seen] == ["submitted", "queued", "leased", "failed"]
    assert "spec.containers: Required value" in seen[-1][1].reason
    assert status(grpc_client, item.job_id) == "FAILED"


# ---- cancel answers -----------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["armada-2023", "armada-2026"])
def test_cancel_echoes_every_id_and_no_ids_cancel_the_set(
    servers: dict[str, BackgroundServer], client: Client, flavour: str
) -> None:
    grpc_client, queue_name = client(flavour), queue(servers, flavour, cordoned=flavour == "armada-2026")
    long_job = job(command=("sleep", "1h"))
    [first, second] = submit(grpc_client, queue_name, long_job, long_job).response.job_response_items
    unknown = "01h00000000000000000000000"
    echoed = grpc_client.call(
        f"{SUBMIT}/CancelJobs", {"queue": queue_name, "jobSetId": "js", "jobIds": [first.job_id, unknown]}
    )
    assert echoed.ok and list(echoed.response.cancelled_ids) == [first.job_id, unknown]
    whole = grpc_client.call(f"{SUBMIT}/CancelJobs", {"queue": queue_name, "jobSetId": "js"})
    assert whole.ok and list(whole.response.cancelled_ids) == [""]
    assert kinds(grpc_client, queue_name, second.job_id)[-1][0] == "cancelled"


def test_current_limits_the_reason_to_50_bytes(servers: dict[str, BackgroundServer], client: Client) -> None:
    body = {"queue": queue(servers, "armada-2026"), "jobSetId": "js", "jobIds": ["01h00000000000000000000000"]}
    grpc_client = client("armada-2026")
    assert grpc_client.call(f"{SUBMIT}/CancelJobs", {**body, "reason": "r" * 50}).ok
    too_long = grpc_client.call(f"{SUBMIT}/CancelJobs", {**body, "reason": "r" * 51})
    assert too_long.code == "INVALID_ARGUMENT" and "50 bytes" in too_long.details


def test_the_contract_names_only_the_jobs_it_cancelled(servers: dict[str, BackgroundServer], client: Client) -> None:
    grpc_client, queue_name = client("contract"), queue(servers, "contract", cordoned=True)
    [item] = submit(grpc_client, queue_name, job()).response.job_response_items
    answer = grpc_client.call(f"{SUBMIT}/CancelJobs", {"queue": queue_name, "jobSetId": "js", "jobIds": ["nope"]})
    assert answer.code == "NOT_FOUND"
    done = grpc_client.call(f"{SUBMIT}/CancelJobs", {"queue": queue_name, "jobSetId": "js", "jobIds": [item.job_id]})
    assert list(done.response.cancelled_ids) == [item.job_id]


# ---- the [null] element -------------------------------------------------------------------


@pytest.mark.parametrize("flavour", NAMES)
def test_a_null_array_element(servers: dict[str, BackgroundServer], flavour: str) -> None:
    """Armada's marshaller panics on the nil element; net/http closes the connection, answering nothing."""
    url = f"{servers[flavour].rest_url}/v1/queue/{name()}"
    body = {"name": "x", "priorityFactor": 1, "permissions": [None]}
    if flavour == "contract":
        assert requests.put(url, json=body, timeout=10).status_code == 400
        return
    with pytest.raises(requests.ConnectionError, match="without response"):
        requests.put(url, json=body, timeout=10)
    assert requests.get(f"{servers[flavour].rest_url}/v1/queue/{name()}", timeout=10).status_code == 404


# ---- a container that keeps running -------------------------------------------------------


def test_a_sleeping_job_keeps_running_until_cancelled(servers: dict[str, BackgroundServer], client: Client) -> None:
    grpc_client, queue_name = client("contract"), queue(servers, "contract")
    [item] = submit(grpc_client, queue_name, job(command=("sleep", "10s"))).response.job_response_items
    deadline = time.monotonic() + 5
    while status(grpc_client, item.job_id) != "RUNNING":
        assert time.monotonic() < deadline, "the job never started running"
        time.sleep(0.05)
    time.sleep(1.0)  # a real container sleeping 10 s is still up a second later
    assert status(grpc_client, item.job_id) == "RUNNING"
    answer = grpc_client.call(f"{SUBMIT}/CancelJobs", {"queue": queue_name, "jobSetId": "js", "jobIds": [item.job_id]})
    assert list(answer.response.cancelled_ids) == [item.job_id]
    assert [k for k, _ in kinds(grpc_client, queue_name, item.job_id)][-2:] == ["cancelling", "cancelled"]


@pytest.mark.parametrize("flavour, refused", [("contract", True), ("armada-2023", True), ("armada-2026", False)])
def test_deleting_a_queue_with_active_jobs(
    servers: dict[str, BackgroundServer], client: Client, flavour: str, refused: bool
) -> None:
    grpc_client, queue_name = client(flavour), queue(servers, flavour)
    assert submit(grpc_client, queue_name, job(command=("sleep", "1h"))).ok
    deleted = grpc_client.call(f"{SUBMIT}/DeleteQueue", {"name": queue_name})
    assert (deleted.code == "FAILED_PRECONDITION") == refused and deleted.ok != refused, deleted.details
    if refused:
        grpc_client.call(f"{SUBMIT}/CancelJobSet", {"queue": queue_name, "jobSetId": "js"})
        assert grpc_client.call(f"{SUBMIT}/DeleteQueue", {"name": queue_name}).ok
