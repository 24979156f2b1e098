"""api.Jobs and api.RetryPolicyService per flavour, over real sockets.

armada-2023 predates both services: gRPC answers UNIMPLEMENTED and their REST routes do
not exist. armada-2026 serves them with its wire: a duplicate CreateRetryPolicy replaces
the policy and answers OK (``internal/server/retrypolicy/repository.go``), enums are JSON
numbers except RetryAction, written and read by its short names "Fail" and "Retry"
(``pkg/api/deserialize.go``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

NEW_METHODS = [
    ("api.Jobs", "GetJobStatus", {"jobIds": ["j"]}),
    ("api.Jobs", "GetActiveQueues", {}),
    ("api.RetryPolicyService", "GetRetryPolicies", {}),
    ("api.RetryPolicyService", "DeleteRetryPolicy", {"name": "p"}),
]


@pytest.fixture(scope="module")
def armada_2023() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0, flavour="armada-2023")) as running:
        yield running


@pytest.fixture(scope="module")
def armada_2026() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0, flavour="armada-2026")) as running:
        yield running


@pytest.mark.parametrize(("service", "method", "request_body"), NEW_METHODS, ids=[m for _, m, _ in NEW_METHODS])
def test_armada_2023_does_not_offer_them(
    armada_2023: BackgroundServer, service: str, method: str, request_body: dict
) -> None:
    with GrpcClient(armada_2023.grpc_target, timeout=10.0) as client:
        assert client.call(f"{service}/{method}", request_body).code == "UNIMPLEMENTED"


@pytest.mark.parametrize(
    ("verb", "path"),
    [
        ("POST", "/v1/job/status"),
        ("POST", "/v1/queues/active"),
        ("GET", "/v1/retry-policies"),
        ("POST", "/v1/retry-policy"),
    ],
)
def test_armada_2023_has_no_routes_for_them(armada_2023: BackgroundServer, verb: str, path: str) -> None:
    response = requests.request(verb, armada_2023.rest_url + path, json={}, timeout=10)
    assert response.status_code == 404


def test_armada_2026_duplicate_create_replaces(armada_2026: BackgroundServer) -> None:
    policy = {"name": "dup-2026", "defaultAction": "RETRY_ACTION_FAIL"}
    with GrpcClient(armada_2026.grpc_target, timeout=10.0) as client:
        assert client.call("api.RetryPolicyService/CreateRetryPolicy", policy).ok
        again = client.call(
            "api.RetryPolicyService/CreateRetryPolicy", {**policy, "defaultAction": "RETRY_ACTION_RETRY"}
        )
        got = client.call("api.RetryPolicyService/GetRetryPolicy", {"name": "dup-2026"})
    assert again.ok and got.response.default_action == 2


@pytest.mark.parametrize("written", ["Fail", "fail", "RETRY_ACTION_FAIL", 1])
def test_armada_2026_reads_every_action_form_and_writes_short_names(
    armada_2026: BackgroundServer, written: object
) -> None:
    base, name = armada_2026.rest_url, f"short-{str(written).lower().replace('_', '-')}"
    body = {"name": name, "defaultAction": written, "rules": [{"action": "Retry", "onCategory": "oom"}]}
    created = requests.post(f"{base}/v1/retry-policy", json=body, timeout=10)
    assert created.status_code == 200, created.text
    got = requests.get(f"{base}/v1/retry-policy/{name}", timeout=10).json()
    assert got["defaultAction"] == "Fail" and got["rules"][0]["action"] == "Retry"
    listed = requests.get(f"{base}/v1/retry-policies", timeout=10).json()
    assert {"Fail"} == {p["defaultAction"] for p in listed["retryPolicies"] if p["name"] == name}


def test_armada_2026_writes_other_enums_as_numbers(armada_2026: BackgroundServer) -> None:
    base = armada_2026.rest_url
    status = requests.post(f"{base}/v1/job/status", json={"jobIds": ["nope"]}, timeout=10).json()
    assert status == {"jobStates": {"nope": 5}}


def test_contract_reads_short_action_names_too() -> None:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        body = {"name": "short", "defaultAction": "Retry"}
        assert requests.post(f"{running.rest_url}/v1/retry-policy", json=body, timeout=10).status_code == 200
        got = requests.get(f"{running.rest_url}/v1/retry-policy/short", timeout=10).json()
    assert got["defaultAction"] == "RETRY_ACTION_RETRY"
