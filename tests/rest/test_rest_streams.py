"""Server streams over REST: one JSON object per line, errors, watching, disconnects; CORS."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from rest_kit import UI_ORIGIN, Rest, as_message, error_code, item

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer

Names = Callable[[str], str]
EVENTS = "api.EventStreamMessage"


def held_queue_with_jobs(rest: Rest, name: str, job_set: str, count: int) -> None:
    """A queue and ``count`` jobs; each job has a Headless service, so its events carry an enum."""
    rest.ok("POST", "/v1/queue", json={"name": name, "priorityFactor": 1})
    services = [{"type": "Headless", "ports": [8080]}]
    rest.ok(
        "POST",
        "/v1/job/submit",
        json={"queue": name, "jobSetId": job_set, "jobRequestItems": [item(services=services) for _ in range(count)]},
    )


def wait_until(predicate: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_same_events_on_both_streams(rest: Rest, grpc_client: GrpcClient, new_name: Names) -> None:
    queue = new_name("q")
    held_queue_with_jobs(rest, queue, "js", 3)
    wait_until(lambda: len(rest.lines("POST", f"/v1/job-set/{queue}/js", json={})[1]) >= 18)
    via_grpc = grpc_client.stream("api.Event/GetJobSetEvents", {"queue": queue, "id": "js"})
    response, lines = rest.lines("POST", f"/v1/job-set/{queue}/js", json={"watch": False})
    assert response.status_code == 200 and via_grpc.ok
    assert all(set(line) == {"result"} for line in lines)
    assert [as_message(EVENTS, line["result"]) for line in lines] == via_grpc.messages
    first = lines[0]["result"]
    assert list(first["message"]) == ["submitted"]  # {"<event name>": {...}}
    job = first["message"]["submitted"]["job"]
    assert job["podSpec"]["terminationGracePeriodSeconds"] == 30  # int64 as a JSON number
    assert job["services"] == [{"type": "Headless", "ports": [8080]}]  # enum as its name
    resumed = rest.lines("POST", f"/v1/job-set/{queue}/js", json={"fromMessageId": first["id"]})[1]
    assert [line["result"] for line in resumed] == [line["result"] for line in lines[1:]]


def test_error_before_first_message_is_the_mapped_status(rest: Rest, new_name: Names) -> None:
    queue = new_name("q")
    rest.ok("POST", "/v1/queue", json={"name": queue, "priorityFactor": 1})
    response = rest.request("POST", f"/v1/job-set/{queue}/nothing", json={"errorIfMissing": True})
    assert response.status_code == 404
    # The stream error form, as armada-api.md says and real gateways do, not the unary body.
    assert response.json() == {
        "error": {
            "grpc_code": error_code("NOT_FOUND"),
            "http_code": 404,
            "message": response.json()["error"]["message"],
            "http_status": "Not Found",
        }
    }
    assert "does not exist" in response.json()["error"]["message"]


def test_error_after_first_message_is_a_final_line(faulty_rest: Rest, new_name: Names) -> None:
    queue = new_name("q")
    held_queue_with_jobs(faulty_rest, queue, "js", 1)
    response, lines = faulty_rest.lines("POST", f"/v1/job-set/{queue}/js", json={})
    assert response.status_code == 200
    assert "result" in lines[0]
    error = lines[-1]["error"]
    assert "grpc_code" not in error and error["http_code"] == 500  # rest-error-body-no-code is on too
    assert error["http_status"] == "Internal Server Error" and error["message"]
    assert all("error" not in line for line in lines[:-1])
    assert lines[0]["result"]["message"]["submitted"]["job"]["services"][0]["type"] == 1  # rest-enum-as-number


def test_watch_delivers_new_events_promptly(rest: Rest, new_name: Names) -> None:
    queue = new_name("q")
    rest.ok("POST", "/v1/queue", json={"name": queue, "priorityFactor": 1, "cordoned": True})
    rest.ok("POST", "/v1/job/submit", json={"queue": queue, "jobSetId": "js", "jobRequestItems": [item()]})
    received: list[tuple[float, dict]] = []
    response = rest.request("POST", f"/v1/job-set/{queue}/js", json={"watch": True}, stream=True)

    def read() -> None:
        with contextlib.suppress(requests.RequestException, AttributeError, ValueError):
            for line in response.iter_lines(chunk_size=1):
                if line:
                    received.append((time.monotonic(), json.loads(line)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert wait_until(lambda: len(received) >= 2)  # submitted, queued
        submitted_at = time.monotonic()
        rest.ok("POST", "/v1/job/submit", json={"queue": queue, "jobSetId": "js", "jobRequestItems": [item()]})
        assert wait_until(lambda: len(received) >= 4, 3.0), received
        arrival = received[2][0]
        assert arrival - submitted_at < 1.0
        assert "submitted" in received[2][1]["result"]["message"]
    finally:
        sock = response.raw.connection.sock  # unblock the reader thread's recv at once
        sock.shutdown(socket.SHUT_RDWR)
        reader.join(5)
        response.close()


def test_disconnect_frees_the_server_side_stream(server: BackgroundServer, new_name: Names) -> None:
    with Rest(server.rest_url) as rest:
        queue = new_name("q")
        held_queue_with_jobs(rest, queue, "js", 1)
    log = server.server.store.job_set(queue, "js").log

    def live_watchers() -> int:
        return sum(1 for waiter in log._waiters if not waiter.done())

    url = urlsplit(server.rest_url)
    body = b'{"watch": true}'
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/job-set/%s/js HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (queue.encode(), len(body), body)
        )
        assert b"200 OK" in sock.recv(65536)
        assert wait_until(lambda: live_watchers() == 1)
    assert wait_until(lambda: live_watchers() == 0, 5.0), "the server still streams to a gone client"


def test_cors_for_configured_origin_only(rest: Rest) -> None:
    allowed = rest.request("GET", "/v1/queue/none", headers={"Origin": UI_ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    preflight = rest.request(
        "OPTIONS",
        "/v1/queue/x",
        headers={
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"].split(",")
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    stream = rest.request("GET", "/v1/batched/queues", headers={"Origin": UI_ORIGIN})
    assert stream.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    other = rest.request("GET", "/v1/queue/none", headers={"Origin": "https://evil.example.com"})
    assert not any(h.lower().startswith("access-control-") for h in other.headers)
    other_preflight = rest.request(
        "OPTIONS", "/v1/queue/x", headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "PUT"}
    )
    assert "Access-Control-Allow-Origin" not in other_preflight.headers
    assert other_preflight.status_code == 405


def test_swagger_is_served(rest: Rest) -> None:
    response = rest.request("GET", "/api/swagger.json")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    assert response.json()["swagger"] == "2.0"
