"""Small helpers shared by the server tests: build requests, read events, check errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.transport.grpc_client import GrpcClient, GrpcResult

SUBMIT = "api.Submit"
QUEUES = "api.QueueService"
EVENT = "api.Event"
LIFE = ["submitted", "queued", "leased", "pending", "running", "succeeded"]
POD: dict[str, Any] = {
    "containers": [
        {
            "name": "main",
            "image": "busybox:1.36",
            "command": ["sleep", "1"],
            "resources": {
                "requests": {"cpu": {"string": "100m"}, "memory": {"string": "64Mi"}},
                "limits": {"cpu": {"string": "100m"}, "memory": {"string": "64Mi"}},
            },
        }
    ],
    "restartPolicy": "Never",
}


def ok(result: GrpcResult) -> GrpcResult:
    """Assert a call succeeded; return it for chaining."""
    assert result.ok, f"expected OK, got {result.code}: {result.details}"
    return result


def assert_error(result: GrpcResult, code: str, *words: str) -> None:
    """The call failed with ``code`` and a message naming every one of ``words``."""
    assert result.code == code, f"expected {code}, got {result.code}: {result.details!r}"
    assert result.details.strip(), f"{code} came without a message"
    for word in words:
        assert word.lower() in result.details.lower(), f"{word!r} not in message {result.details!r}"


def create_queue(client: GrpcClient, name: str, service: str = SUBMIT, **fields: Any) -> str:
    ok(client.call(f"{service}/CreateQueue", {"name": name, **fields}))
    return name


def item(**fields: Any) -> dict[str, Any]:
    """A valid job request item, with ``fields`` overriding the defaults."""
    return {"priority": 1, "namespace": "default", "podSpec": POD, **fields}


def submit(client: GrpcClient, queue: str, job_set: str, count: int = 1, **fields: Any) -> list[str]:
    """Submit ``count`` valid jobs; return their ids."""
    result = ok(
        client.call(
            f"{SUBMIT}/SubmitJobs",
            {"queue": queue, "jobSetId": job_set, "jobRequestItems": [item(**fields) for _ in range(count)]},
        )
    )
    items = result.response.job_response_items
    assert all(not i.error for i in items), [i.error for i in items]
    return [i.job_id for i in items]


def events(client: GrpcClient, queue: str, job_set: str, **request: Any) -> list[Any]:
    """Every stored event of a job set (watch=false), asserting the stream ended cleanly."""
    result = ok(client.stream(f"{EVENT}/GetJobSetEvents", {"queue": queue, "id": job_set, **request}))
    return result.messages


def kind(message: Any) -> str:
    return message.message.WhichOneof("events")


def event_body(message: Any) -> Any:
    return getattr(message.message, kind(message))


def life_of(messages: Sequence[Any], job_id: str) -> list[str]:
    """The event kinds of one job, in stream order."""
    return [kind(m) for m in messages if event_body(m).job_id == job_id]


def ids(messages: Sequence[Any]) -> list[str]:
    return [m.id for m in messages]
