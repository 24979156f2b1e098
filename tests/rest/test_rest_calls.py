"""Every REST binding over real HTTP, against the same server reached over gRPC."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_kit import Rest, as_message, error_code, item

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.swagger import routes

Names = Callable[[str], str]


def make_queue(rest: Rest, name: str, **fields: Any) -> str:
    rest.ok("POST", "/v1/queue", json={"name": name, "priorityFactor": 2, **fields})
    return name


def submit(rest: Rest, queue: str, job_set: str, count: int = 1) -> list[str]:
    body = rest.ok(
        "POST",
        "/v1/job/submit",
        json={"queue": queue, "jobSetId": job_set, "jobRequestItems": [item() for _ in range(count)]},
    )
    return [i["jobId"] for i in body["jobResponseItems"]]


def assert_error(response: Any, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == error_code(code)
    assert body["error"] == body["message"] and body["message"]
    for word in words:
        assert word.lower() in body["message"].lower(), body


# ---- parity: each unary method gives the same answer on both transports ----------------


def test_get_queue_same_on_both(rest: Rest, grpc_client: GrpcClient, new_name: Names) -> None:
    name = make_queue(
        rest,
        new_name("q"),
        userOwners=["alice"],
        resourceLimits={"cpu": 0.5},
        permissions=[{"subjects": [{"kind": "Group", "name": "ops"}], "verbs": ["submit"]}],
        labels={"team": "a"},
    )
    via_rest = rest.ok("GET", f"/v1/queue/{name}")
    via_grpc = grpc_client.call("api.Submit/GetQueue", {"name": name})
    assert via_grpc.ok
    assert as_message("api.Queue", via_rest) == via_grpc.response
    assert via_rest["permissions"][0]["subjects"][0] == {"kind": "Group", "name": "ops"}


def test_get_queue_info_same_on_both(rest: Rest, grpc_client: GrpcClient, new_name: Names) -> None:
    name = make_queue(rest, new_name("q"), cordoned=True)
    submit(rest, name, "set-a", 2)
    via_rest = rest.ok("GET", f"/v1/queue/{name}/info")
    via_grpc = grpc_client.call("api.Submit/GetQueueInfo", {"name": name})
    assert as_message("api.QueueInfo", via_rest) == via_grpc.response
    assert via_rest["activeJobSets"][0]["queuedJobs"] == 2  # int32 as a JSON number


def test_queue_writes_same_on_both(rest: Rest, grpc_client: GrpcClient, new_name: Names) -> None:
    """CreateQueue, UpdateQueue, CreateQueues, UpdateQueues, DeleteQueue: one queue per transport."""
    by_rest, by_grpc = new_name("r"), new_name("g")
    assert rest.ok("POST", "/v1/queue", json={"name": by_rest, "priorityFactor": 1}) == {}
    assert grpc_client.call("api.Submit/CreateQueue", {"name": by_grpc, "priorityFactor": 1}).ok
    assert rest.ok("PUT", f"/v1/queue/{by_rest}", json={"priorityFactor": 3, "userOwners": ["u"]}) == {}
    assert grpc_client.call("api.Submit/UpdateQueue", {"name": by_grpc, "priorityFactor": 3, "userOwners": ["u"]}).ok
    for name in (by_rest, by_grpc):
        queue = grpc_client.call("api.Submit/GetQueue", {"name": name}).response
        assert queue.priority_factor == 3 and list(queue.user_owners) == ["u"]
    batch_rest = rest.ok(
        "POST",
        "/v1/batched/create_queues",
        json={"queues": [{"name": by_rest, "priorityFactor": 1}, {"name": by_rest + "-2", "priorityFactor": 1}]},
    )
    batch_grpc = grpc_client.call(
        "api.Submit/CreateQueues",
        {"queues": [{"name": by_grpc, "priorityFactor": 1}, {"name": by_grpc + "-2", "priorityFactor": 1}]},
    )
    assert [f["queue"]["name"] for f in batch_rest["failedQueues"]] == [by_rest]
    assert [f.queue.name for f in batch_grpc.response.failed_queues] == [by_grpc]
    assert batch_rest["failedQueues"][0]["error"] == batch_grpc.response.failed_queues[0].error.replace(
        by_grpc, by_rest
    )
    upd_rest = rest.ok("PUT", "/v1/batched/update_queues", json={"queues": [{"name": by_rest, "priorityFactor": 5}]})
    upd_grpc = grpc_client.call("api.Submit/UpdateQueues", {"queues": [{"name": by_grpc, "priorityFactor": 5}]})
    assert upd_rest == {} and not upd_grpc.response.failed_queues
    assert rest.ok("DELETE", f"/v1/queue/{by_rest}") == {}
    assert grpc_client.call("api.Submit/DeleteQueue", {"name": by_grpc}).ok
    for name in (by_rest, by_grpc):
        assert grpc_client.call("api.Submit/GetQueue", {"name": name}).code == "NOT_FOUND"


def test_job_calls_same_on_both(rest: Rest, grpc_client: GrpcClient, new_name: Names) -> None:
    """SubmitJobs, ReprioritizeJobs, PreemptJobs, CancelJobs, CancelJobSet on a held queue."""
    queue = make_queue(rest, new_name("held"), cordoned=True)
    rest_ids = submit(rest, queue, "by-rest", 2)
    grpc_submit = grpc_client.call(
        "api.Submit/SubmitJobs",
        as_message(
            "api.JobSubmitRequest", {"queue": queue, "jobSetId": "by-grpc", "jobRequestItems": [item(), item()]}
        ),
    )
    grpc_ids = [i.job_id for i in grpc_submit.response.job_response_items]
    assert len(rest_ids) == len(grpc_ids) == 2 and all(rest_ids)

    def both(method: str, path: str, rest_body: dict, grpc_body: dict, full_name: str) -> tuple[Any, Any]:
        via_rest = rest.ok("POST", path, json=rest_body)
        via_grpc = grpc_client.call(f"api.Submit/{method}", grpc_body)
        assert via_grpc.ok, via_grpc.details
        return as_message(full_name, via_rest), via_grpc.response

    r, g = both(
        "ReprioritizeJobs",
        "/v1/job/reprioritize",
        {"jobIds": rest_ids, "queue": queue, "jobSetId": "by-rest", "newPriority": 4},
        {"jobIds": grpc_ids, "queue": queue, "jobSetId": "by-grpc", "newPriority": 4},
        "api.JobReprioritizeResponse",
    )
    assert sorted(r.reprioritization_results.values()) == sorted(g.reprioritization_results.values())
    r, g = both(
        "PreemptJobs",
        "/v1/job/preempt",
        {"jobIds": rest_ids[:1], "queue": queue, "jobSetId": "by-rest"},
        {"jobIds": grpc_ids[:1], "queue": queue, "jobSetId": "by-grpc"},
        "api.PreemptionResult",
    )
    assert list(r.preemption_results.values()) == list(g.preemption_results.values())
    r, g = both(
        "CancelJobs",
        "/v1/job/cancel",
        {"jobIds": rest_ids, "queue": queue, "jobSetId": "by-rest"},
        {"jobIds": grpc_ids, "queue": queue, "jobSetId": "by-grpc"},
        "api.CancellationResult",
    )
    assert len(r.cancelled_ids) == len(g.cancelled_ids)
    assert set(r.cancelled_ids) <= set(rest_ids)
    assert (
        rest.ok(
            "POST",
            "/v1/jobset/cancel",
            json={"queue": queue, "jobSetId": "by-rest", "filter": {"states": ["QUEUED", 1]}},
        )
        == {}
    )
    assert grpc_client.call("api.Submit/CancelJobSet", {"queue": queue, "jobSetId": "by-grpc"}).ok


def test_get_queues_stream_same_on_both(rest: Rest, grpc_client: GrpcClient, new_name: Names) -> None:
    make_queue(rest, new_name("q"))
    response, lines = rest.lines("GET", "/v1/batched/queues")
    via_grpc = grpc_client.stream("api.Submit/GetQueues", {})
    assert response.status_code == 200 and via_grpc.ok
    assert [as_message("api.StreamingQueueMessage", line["result"]) for line in lines] == via_grpc.messages
    assert lines[-1] == {"result": {"end": {}}}
    response, limited = rest.lines("GET", "/v1/batched/queues?num=1")
    assert len([x for x in limited if "queue" in x["result"]]) == 1


def test_every_binding_is_served(rest: Rest, new_name: Names) -> None:
    """Every route reaches its method: no routing 404 ("Not Found") or 405 for its own verb.

    The calls run in declaration order (DeleteQueue before GetQueue), so the server's
    own NOT_FOUND, with its own message, may answer some of them.
    """
    name = make_queue(rest, new_name("q"))
    for route in routes():
        path = route.path.replace("{name}", name).replace("{queue}", name).replace("{id}", "js")
        response = rest.request(route.verb, path, json={} if route.body else None)
        first_line = json.loads(response.text.splitlines()[0]) if response.text else {}
        routing_miss = response.status_code == 405 or first_line.get("message") == "Not Found"
        assert not routing_miss, (route.method.name, response.text)
        assert response.headers["Content-Type"].startswith("application/json")


# ---- errors ------------------------------------------------------------------------------


def test_real_error_statuses(rest: Rest, new_name: Names) -> None:
    name = make_queue(rest, new_name("q"))
    assert_error(rest.request("GET", f"/v1/queue/{new_name('missing')}"), 404, "NOT_FOUND", "does not exist")
    assert_error(
        rest.request("POST", "/v1/queue", json={"name": name, "priorityFactor": 1}), 409, "ALREADY_EXISTS", name
    )
    assert_error(rest.request("POST", "/v1/job/submit", json={"queue": name, "jobSetId": ""}), 400, "INVALID_ARGUMENT")


def test_unknown_route_and_wrong_verb(rest: Rest) -> None:
    assert_error(rest.request("GET", "/v1/nothing/here"), 404, "NOT_FOUND", "Not Found")
    response = rest.request("PATCH", "/v1/queue/x")
    assert_error(response, 405, "UNIMPLEMENTED", "Method Not Allowed")
    assert set(response.headers["Allow"].split(",")) == {"GET", "PUT", "DELETE"}
    assert_error(rest.request("GET", "/v1/job/submit"), 405, "UNIMPLEMENTED")


@pytest.mark.parametrize(
    "body, word",
    [
        (b"{not json", "JSON"),
        (b"[1,2,3]", "object"),
        (b"42", "object"),
        (b'{"name": 7}', "name"),
        (b'{"name": "x", "priorityFactor": "high"}', "priorityFactor"),
        (b'{"name": "x", "permissions": "all"}', "permissions"),
        (b'{"name": "x", "resourceLimits": {"cpu": "lots"}}', "resourceLimits"),
        (b"\xff\xfe\xfd", "JSON"),
    ],
)
def test_malformed_bodies_are_400(rest: Rest, body: bytes, word: str) -> None:
    response = rest.request("POST", "/v1/queue", data=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "INVALID_ARGUMENT", word)
    assert "Traceback" not in response.text


def test_bad_query_and_header_values_are_400(rest: Rest) -> None:
    assert_error(rest.request("GET", "/v1/batched/queues?num=many"), 400, "INVALID_ARGUMENT", "num")
    assert_error(rest.request("GET", "/v1/batched/queues?num=-1"), 400, "INVALID_ARGUMENT", "num")
    response = rest.request("GET", "/v1/queue/x", headers={"Grpc-Metadata-Bad Key": "v"})
    assert response.status_code == 400
    response = rest.request("GET", "/v1/queue/x", headers={"Grpc-Metadata-trace-bin": "%%%"})
    assert_error(response, 400, "INVALID_ARGUMENT", "base64")
    assert_error(rest.request("GET", "/v1/queue/x", headers={"Grpc-Timeout": "soon"}), 400, "INVALID_ARGUMENT")


def test_path_parameter_overrides_body(rest: Rest, grpc_client: GrpcClient, new_name: Names) -> None:
    name = make_queue(rest, new_name("q"))
    rest.ok("PUT", f"/v1/queue/{name}", json={"name": "other-name", "priorityFactor": 7})
    assert grpc_client.call("api.Submit/GetQueue", {"name": name}).response.priority_factor == 7


# ---- authentication through the gateway ------------------------------------------------------


@pytest.fixture(scope="module")
def basic_server() -> Iterator[BackgroundServer]:
    config = ServerConfig.from_dict(
        {
            "server": {"grpc_port": 0, "http_port": 0},
            "auth": {
                "order": ["basic"],
                "anonymous": False,
                "basic": {"users": {"alice": {"password": "secret", "groups": ["admins"]}}},
            },
            "authorization": {"permissions": {"create_queue": ["admins"]}},
        }
    )
    with BackgroundServer(config) as running:
        yield running


def test_authorization_header_is_forwarded(basic_server: BackgroundServer, new_name: Names) -> None:
    good = "Basic " + base64.b64encode(b"alice:secret").decode()
    bad = "Basic " + base64.b64encode(b"alice:wrong").decode()
    with Rest(basic_server.rest_url) as client:
        assert_error(client.request("GET", "/v1/queue/x"), 401, "UNAUTHENTICATED")
        assert_error(client.request("GET", "/v1/queue/x", headers={"Authorization": bad}), 401, "UNAUTHENTICATED")
        assert_error(
            client.request("GET", "/v1/queue/x", headers={"Authorization": "Weird abc"}), 401, "UNAUTHENTICATED"
        )
        name = new_name("q")
        response = client.request(
            "POST", "/v1/queue", json={"name": name, "priorityFactor": 1}, headers={"Authorization": good}
        )
        assert response.status_code == 200, response.text


# ---- faults --------------------------------------------------------------------------------


def test_rest_faults_bite(faulty_rest: Rest, faulty_grpc: GrpcClient, new_name: Names) -> None:
    missing = faulty_rest.request("GET", f"/v1/queue/{new_name('missing')}")
    assert missing.status_code == 500  # rest-wrong-status
    assert "code" not in missing.json()  # rest-error-body-no-code
    name = new_name("q")
    faulty_rest.ok("POST", "/v1/queue", json={"name": name, "priorityFactor": 2})
    via_rest = faulty_rest.ok("GET", f"/v1/queue/{name}")
    via_grpc = faulty_grpc.call("api.Submit/GetQueue", {"name": name}).response
    assert via_rest["priorityFactor"] != via_grpc.priority_factor  # rest-grpc-differ
    assert "/v1/queue/{name}/info" not in faulty_rest.ok("GET", "/api/swagger.json")["paths"]
