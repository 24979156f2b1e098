"""What each flavour's REST gateway puts on the wire, over real sockets (shared/real-armada.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flavour_kit import Http, submit_body, usable_queue

from reference_server.quantities import FORMAT_WRONG

ARMADA = ("armada-2023", "armada-2026")
Names = Callable[[str], str]
RFC3339_NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def events(http: Http, queue: str, job_set: str, count: int) -> list[dict]:
    """The job set's stream once it holds ``count`` events (the executor is instant)."""
    for _ in range(100):
        response = http.ok("POST", f"/v1/job-set/{queue}/{job_set}", json={"watch": False})
        lines = [json.loads(line) for line in response.text.splitlines() if line]
        if len(lines) >= count:
            return lines
    raise AssertionError(f"fewer than {count} events: {lines}")


def test_submit_with_quantity_strings_works_in_every_flavour(http: Http, new_name: Names) -> None:
    queue = usable_queue(http, new_name("q"))
    response = http.ok("POST", "/v1/job/submit", json=submit_body(queue, "js"))
    assert response.json()["jobResponseItems"][0]["jobId"]


def test_quantity_object_form(http: Http, flavour: str, new_name: Names) -> None:
    """Real Armada refuses {"string": "100m"} (Go's resource.Quantity); the contract flavour still reads it."""
    queue = usable_queue(http, new_name("q"))
    body = submit_body(queue, "js")
    body["jobRequestItems"][0]["podSpec"]["containers"][0]["resources"] = {"requests": {"cpu": {"string": "100m"}}}
    response = http("POST", "/v1/job/submit", json=body)
    if flavour in ARMADA:
        assert response.status_code == 400, response.text
        assert response.json()["message"] == FORMAT_WRONG and response.json()["code"] == 3
    else:
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("flavour", ARMADA)
@pytest.mark.parametrize("value", ["100x", "1.2.3", "m", True])
def test_armada_refuses_malformed_quantities(servers: dict, flavour: str, value: object) -> None:
    http = Http(servers[flavour].rest_url)
    body = submit_body("q", "js")
    body["jobRequestItems"][0]["podSpec"]["containers"][0]["resources"] = {"limits": {"cpu": value}}
    response = http("POST", "/v1/job/submit", json=body)
    assert response.status_code == 400 and "quantit" in response.json()["message"], response.text


def test_event_stream_forms(http: Http, flavour: str, new_name: Names) -> None:
    """Timestamps per era, enums as numbers in Armada, int64 as numbers, quantities as strings, one event key."""
    queue = usable_queue(http, new_name("q"))
    item = {"services": [{"type": "Headless", "ports": [8080]}]}
    http.ok("POST", "/v1/job/submit", json=submit_body(queue, "js", **item))
    first = events(http, queue, "js", 6)[0]
    assert set(first) == {"result"} and list(first["result"]["message"]) == ["submitted"]
    submitted = first["result"]["message"]["submitted"]
    job = submitted["job"]
    assert job["podSpec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    assert job["podSpec"]["terminationGracePeriodSeconds"] == 30
    created = submitted["created"]
    if flavour == "armada-2026":
        assert set(created) <= {"seconds", "nanos"} and isinstance(created["seconds"], int), created
        assert job["services"] == [{"type": 1, "ports": [8080]}]
    elif flavour == "armada-2023":
        assert RFC3339_NANO.match(created), created
        assert job["services"] == [{"type": 1, "ports": [8080]}]
    else:
        assert RFC3339_NANO.match(created), created
        assert job["services"] == [{"type": "Headless", "ports": [8080]}]


def test_go_json_text(http: Http, flavour: str, new_name: Names) -> None:
    """Doubles in Go's shortest form (2, not 2.0); keys matched case-insensitively, unknown ones ignored."""
    queue = new_name("q")
    created = http("POST", "/v1/queue", json={"NAME": queue, "PriorityFactor": 2, "nonsense": {"a": 1}})
    if flavour not in ARMADA:  # the contract: proto3 JSON names only (the upper-case NAME is ignored)
        assert created.status_code == 400 and "name is required" in created.json()["message"]
        http.ok("POST", "/v1/queue", json={"name": queue, "priorityFactor": 2, "nonsense": {"a": 1}})
    response = http.ok("GET", f"/v1/queue/{queue}")
    assert response.json()["priorityFactor"] == 2
    go_text = re.search(r'"priorityFactor":2[,}]', response.text) is not None
    assert go_text == (flavour in ARMADA), response.text


def test_get_queues_oneof_form(http: Http, flavour: str, new_name: Names) -> None:
    queue = new_name("q")
    http.ok("POST", "/v1/queue", json={"name": queue, "priorityFactor": 1})
    lines = [json.loads(line) for line in http.ok("GET", "/v1/batched/queues").text.splitlines() if line]
    results = [line["result"] for line in lines]
    if flavour in ARMADA:  # the queue also carries its owner (the caller) folded into permissions
        written = [r["Event"]["queue"] for r in results if r["Event"].get("queue", {}).get("name") == queue]
        assert [(q["name"], q["priorityFactor"]) for q in written] == [(queue, 1)]
        assert results[-1] == {"Event": {"end": {}}}
    else:
        assert {"queue": {"name": queue, "priorityFactor": 1.0}} in results
        assert results[-1] == {"end": {}}


def test_stream_error_before_first_message(http: Http, flavour: str, new_name: Names) -> None:
    """The mapped status and ONE stream error line; Armada writes no newline after it."""
    queue = usable_queue(http, new_name("q"))
    response = http("POST", f"/v1/job-set/{queue}/absent", json={"errorIfMissing": True})
    assert response.status_code == 404
    expected_end = "}" if flavour in ARMADA else "}\n"
    assert response.text.endswith(expected_end) and response.text.count("\n") == (0 if flavour in ARMADA else 1)
    error = json.loads(response.text)["error"]
    assert {k: error[k] for k in ("grpc_code", "http_code", "http_status")} == {
        "grpc_code": 5,
        "http_code": 404,
        "http_status": "Not Found",
    }
    assert "absent" in error["message"]


def test_routing_errors(http: Http, flavour: str) -> None:
    missing = http("GET", "/v1/no/such/route")
    wrong_verb = http("PATCH", "/v1/queue")
    assert (missing.status_code, wrong_verb.status_code) == (404, 405)
    if flavour in ARMADA:
        for response, text in ((missing, "Not Found"), (wrong_verb, "Method Not Allowed")):
            assert response.headers["Content-Type"].startswith("text/plain")
            assert response.text.strip() == text and "Allow" not in response.headers
    else:
        assert missing.json()["code"] == 5 and wrong_verb.json()["code"] == 12


def test_answers_carry_the_grpc_content_type(http: Http, flavour: str, new_name: Names) -> None:
    queue = new_name("q")
    answers = [
        http("POST", "/v1/queue", json={"name": queue, "priorityFactor": 1}),
        http("GET", f"/v1/queue/{queue}"),
        http("GET", f"/v1/queue/{new_name('absent')}"),
        http("GET", "/v1/batched/queues"),
    ]
    for response in answers:
        assert response.status_code in (200, 404)
        header = response.headers.get("Grpc-Metadata-Content-Type")
        assert header == ("application/grpc" if flavour in ARMADA else None), (response.url, header)


def test_delete_of_an_absent_queue(http: Http, flavour: str, new_name: Names) -> None:
    response = http("DELETE", f"/v1/queue/{new_name('absent')}")
    assert response.status_code == (200 if flavour in ARMADA else 404), response.text


def test_get_queue_info_only_in_2023_and_the_contract(http: Http, flavour: str, new_name: Names) -> None:
    queue = new_name("q")
    http.ok("POST", "/v1/queue", json={"name": queue, "priorityFactor": 1})
    response = http("GET", f"/v1/queue/{queue}/info")
    if flavour == "armada-2026":
        assert response.status_code == 404 and response.text.strip() == "Not Found"
        assert response.headers["Content-Type"].startswith("text/plain")
    else:
        assert response.status_code == 200 and response.json()["name"] == queue


@pytest.mark.parametrize("path", ["/swagger.json", "/api/swagger.json"])
def test_swagger_where_armada_serves_it(http: Http, flavour: str, path: str) -> None:
    document = http.ok("GET", path).json()
    assert document["definitions"]["resourceQuantity"] == {"type": "string"}
    stream = document["paths"]["/v1/job-set/{queue}/{id}"]["post"]["responses"]["200"]["schema"]
    if flavour in ARMADA:
        assert stream["type"] == "file" and set(stream["properties"]) == {"result", "error"}
    else:
        assert stream["type"] == "object"
    assert ("/v1/queue/{name}/info" in document["paths"]) == (flavour != "armada-2026")


def test_numbers_as_strings(http: Http, flavour: str, new_name: Names) -> None:
    """proto3 JSON reads "2" as a number; Go's encoding/json refuses a string for a float64 (400)."""
    response = http("POST", "/v1/queue", json={"name": new_name("q"), "priorityFactor": "2"})
    if flavour in ARMADA:
        assert response.status_code == 400 and "cannot unmarshal string" in response.json()["message"]
    else:
        assert response.status_code == 200, response.text


def test_deeply_nested_body_is_a_bad_request(http: Http) -> None:
    raw = b'{"name":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = http("POST", "/v1/queue", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "nested" in response.json()["message"]
