"""Era semantics over gRPC and REST: queue cache, idempotent DeleteQueue, what each era serves, auth per era."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from flavour_kit import Http, submit_body

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ConfigError, ServerConfig

Names = Callable[[str], str]


@pytest.fixture
def grpc_of(servers: dict[str, BackgroundServer]) -> Iterator[Callable[[str], GrpcClient]]:
    clients: list[GrpcClient] = []

    def open_client(flavour: str) -> GrpcClient:
        clients.append(GrpcClient(servers[flavour].grpc_target, timeout=10.0).__enter__())
        return clients[-1]

    yield open_client
    for client in clients:
        client.__exit__(None, None, None)


def test_queue_cache_refuses_a_new_queue_until_it_refreshes(
    servers: dict[str, BackgroundServer], new_name: Names
) -> None:
    """armada-2026: right after CreateQueue, submit is PERMISSION_DENIED and events NOT_FOUND; later both work.

    A refresh may fall between create and submit (a few ms of a 1 s period); a fresh
    queue is tried up to three times, so the refusal is seen unless that happens thrice.
    """
    http = Http(servers["armada-2026"].rest_url)
    for _attempt in range(3):
        queue = new_name("cached")
        http.ok("POST", "/v1/queue", json={"name": queue, "priorityFactor": 1})
        submitted = http("POST", "/v1/job/submit", json=submit_body(queue, "js"))
        watched = http("POST", f"/v1/job-set/{queue}/js", json={"watch": False})
        if submitted.status_code != 200:
            break
    assert submitted.status_code == 403 and submitted.json()["code"] == 7, submitted.text
    assert "queue" in submitted.json()["message"]
    assert watched.status_code == 404, watched.text
    deadline = time.monotonic() + 15
    while http("POST", "/v1/job/submit", json=submit_body(queue, "js")).status_code != 200:
        assert time.monotonic() < deadline, "the queue never became usable"
        time.sleep(0.05)
    assert http("POST", f"/v1/job-set/{queue}/js", json={"watch": False}).status_code == 200


@pytest.mark.parametrize("flavour", ["contract", "armada-2023"])
def test_no_queue_cache_outside_2026(servers: dict[str, BackgroundServer], flavour: str, new_name: Names) -> None:
    http = Http(servers[flavour].rest_url)
    queue = new_name("q")
    http.ok("POST", "/v1/queue", json={"name": queue, "priorityFactor": 1})
    http.ok("POST", "/v1/job/submit", json=submit_body(queue, "js"))


@pytest.mark.parametrize("flavour, code", [("contract", "NOT_FOUND"), ("armada-2023", "OK"), ("armada-2026", "OK")])
def test_delete_absent_queue_over_grpc(
    grpc_of: Callable[[str], GrpcClient], flavour: str, code: str, new_name: Names
) -> None:
    client = grpc_of(flavour)
    assert client.call("api.Submit/DeleteQueue", {"name": new_name("absent")}).code == code
    # No release validates queue names: deleting the (absent) queue "" is as fine as any other.
    assert client.call("api.Submit/DeleteQueue", {"name": ""}).code == ("INVALID_ARGUMENT" if code != "OK" else "OK")


@pytest.mark.parametrize(
    "flavour, method, code, words",
    [
        ("armada-2023", "api.QueueService/GetQueue", "UNIMPLEMENTED", "unknown service api.QueueService"),
        ("armada-2026", "api.Submit/GetQueueInfo", "UNIMPLEMENTED", "unknown method GetQueueInfo"),
        ("armada-2023", "api.Submit/GetQueueInfo", "UNKNOWN", "could not find queue"),
        ("armada-2026", "api.QueueService/GetQueue", "NOT_FOUND", "could not find queue"),
        ("contract", "api.Submit/GetQueueInfo", "NOT_FOUND", "does not exist"),
    ],
)
def test_what_each_era_serves(
    grpc_of: Callable[[str], GrpcClient], flavour: str, method: str, code: str, words: str, new_name: Names
) -> None:
    result = grpc_of(flavour).call(method, {"name": new_name("absent")})
    assert result.code == code and words in result.details, (result.code, result.details)


def test_get_queue_info_is_unimplemented_before_authentication(new_name: Names) -> None:
    """armada-2026 answers UNIMPLEMENTED even to a caller it would refuse: the method is simply not there."""
    config = ServerConfig.from_dict(
        {
            "server": {"flavour": "armada-2026"},
            "auth": {"order": ["basic"], "anonymous": False, "basic": {"users": {"alice": {"password": "pw"}}}},
        }
    )
    with BackgroundServer(config) as server, GrpcClient(server.grpc_target, timeout=10.0) as client:
        assert client.call("api.Submit/GetQueue", {"name": "q"}).code == "UNAUTHENTICATED"
        assert client.call("api.Submit/GetQueueInfo", {"name": "q"}).code == "UNIMPLEMENTED"
        assert (
            client.call(
                "api.Submit/GetQueueInfo", {"name": "q"}, metadata=[("authorization", "Basic bm9ib2R5Ondyb25n")]
            ).code
            == "UNIMPLEMENTED"
        )


def test_kerberos_is_refused_in_2026() -> None:
    table = {
        "server": {"flavour": "armada-2026"},
        "auth": {"order": ["kerberos"], "kerberos": {"keytab": "/nowhere", "service_principal": "HTTP/x@Y"}},
    }
    with pytest.raises(ConfigError, match="kerberos is not offered by flavour armada-2026"):
        ServerConfig.from_dict(table)
    with pytest.raises(ConfigError, match="kerberos"):
        ServerConfig(flavour="armada-2026", auth={"order": ["kerberos", "anonymous"]}).check_flavour()


@pytest.mark.parametrize(
    "table, words",
    [
        ({"server": {"flavour": "armada-1999"}}, "unknown flavour 'armada-1999'"),
        ({"server": {"flavour": "armada-2026", "queue_cache_s": 0}}, "queue_cache_s must be > 0"),
    ],
)
def test_bad_flavour_settings_are_config_errors(table: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        ServerConfig.from_dict(table)
