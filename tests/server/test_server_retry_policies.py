"""api.RetryPolicyService on the reference server, over real gRPC and REST sockets.

Validation, the codes of each operation (duplicate create, absent update/get, delete
always OK and detaching the policy from queues), and permissions naming the verb.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
import requests
from server_kit import assert_error, create_queue, ok

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.retry_policies import RetryPolicyBook

SERVICE = "api.RetryPolicyService"


def policy(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "retryLimit": 3,
        "defaultAction": "RETRY_ACTION_FAIL",
        "rules": [
            {"action": "RETRY_ACTION_RETRY", "onCategory": "oom", "mutate": {"resources": {"memory": {"factor": 1.5}}}}
        ],
        **fields,
    }


def rule(**fields: Any) -> dict[str, Any]:
    return {"action": "RETRY_ACTION_RETRY", "onCategory": "oom", **fields}


INVALID = {
    "empty name": {"name": ""},
    "uppercase name": {"name": "Bad-Name"},
    "name ending in '-'": {"name": "bad-"},
    "name of 64 characters": {"name": "a" * 64},
    "no default action": {"defaultAction": "RETRY_ACTION_UNSPECIFIED"},
    "rule without action": {"rules": [rule(action="RETRY_ACTION_UNSPECIFIED")]},
    "rule without category": {"rules": [rule(onCategory="")]},
    "bump with both": {"rules": [rule(mutate={"resources": {"memory": {"static": "1Gi", "factor": 2}}})]},
    "bump with neither": {"rules": [rule(mutate={"resources": {"memory": {}}})]},
    "factor of 1": {"rules": [rule(mutate={"resources": {"memory": {"factor": 1.0}}})]},
    "static not a quantity": {"rules": [rule(mutate={"resources": {"memory": {"static": "lots"}}})]},
    "static zero": {"rules": [rule(mutate={"resources": {"memory": {"static": "0Mi"}}})]},
}


@pytest.mark.parametrize("change", INVALID.values(), ids=list(INVALID))
def test_invalid_policies_are_refused(client: GrpcClient, new_name: Callable[[str], str], change: dict) -> None:
    request = {**policy(new_name("p")), **change}
    assert_error(client.call(f"{SERVICE}/CreateRetryPolicy", request), "INVALID_ARGUMENT")


def test_round_trip(client: GrpcClient, new_name: Callable[[str], str]) -> None:
    name = new_name("p")
    ok(client.call(f"{SERVICE}/CreateRetryPolicy", policy(name)))
    got = ok(client.call(f"{SERVICE}/GetRetryPolicy", {"name": name})).response
    assert got.retry_limit == 3 and got.rules[0].mutate.resources.memory.factor == 1.5
    ok(client.call(f"{SERVICE}/UpdateRetryPolicy", policy(name, retryLimit=5)))
    assert ok(client.call(f"{SERVICE}/GetRetryPolicy", {"name": name})).response.retry_limit == 5
    listed = ok(client.call(f"{SERVICE}/GetRetryPolicies", {})).response.retry_policies
    assert name in [p.name for p in listed]
    ok(client.call(f"{SERVICE}/DeleteRetryPolicy", {"name": name}))
    assert_error(client.call(f"{SERVICE}/GetRetryPolicy", {"name": name}), "NOT_FOUND", name)


def test_codes_of_each_operation(client: GrpcClient, new_name: Callable[[str], str]) -> None:
    name = new_name("p")
    assert_error(client.call(f"{SERVICE}/UpdateRetryPolicy", policy(name)), "NOT_FOUND", name)
    ok(client.call(f"{SERVICE}/DeleteRetryPolicy", {"name": name}))
    ok(client.call(f"{SERVICE}/CreateRetryPolicy", policy(name)))
    assert_error(client.call(f"{SERVICE}/CreateRetryPolicy", policy(name)), "ALREADY_EXISTS", name)
    assert_error(client.call(f"{SERVICE}/DeleteRetryPolicy", {"name": ""}), "INVALID_ARGUMENT", "name")
    ok(client.call(f"{SERVICE}/DeleteRetryPolicy", {"name": name}))


def test_delete_detaches_the_policy_from_queues(client: GrpcClient, new_name: Callable[[str], str]) -> None:
    name = new_name("p")
    ok(client.call(f"{SERVICE}/CreateRetryPolicy", policy(name)))
    queue = create_queue(client, new_name("q"), retryPolicies=[name, "other"])
    ok(client.call(f"{SERVICE}/DeleteRetryPolicy", {"name": name}))
    got = ok(client.call("api.Submit/GetQueue", {"name": queue})).response
    assert list(got.retry_policies) == ["other"]


def test_duplicate_code_is_configurable() -> None:
    from reference_server.faults import Faults
    from reference_server.retry_policies import RetryPolicy

    book = RetryPolicyBook(Faults(), duplicate_code=grpc.StatusCode.UNAVAILABLE)
    book.create(RetryPolicy(name="p", default_action=1))
    with pytest.raises(Exception) as raised:
        book.create(RetryPolicy(name="p", default_action=1))
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE


def test_rest_routes(server: BackgroundServer, new_name: Callable[[str], str]) -> None:
    base, name = server.rest_url, new_name("p")
    assert requests.post(f"{base}/v1/retry-policy", json=policy(name), timeout=10).status_code == 200
    got = requests.get(f"{base}/v1/retry-policy/{name}", timeout=10)
    assert got.status_code == 200 and got.json()["name"] == name
    updated = requests.put(f"{base}/v1/retry-policy/{name}", json=policy(name, retryLimit=7), timeout=10)
    assert updated.status_code == 200
    listed = requests.get(f"{base}/v1/retry-policies", timeout=10).json()["retryPolicies"]
    assert next(p for p in listed if p["name"] == name)["retryLimit"] == 7
    assert requests.delete(f"{base}/v1/retry-policy/{name}", timeout=10).status_code == 200
    assert requests.get(f"{base}/v1/retry-policy/{name}", timeout=10).status_code == 404
    bad = requests.post(f"{base}/v1/retry-policy", json=policy("Bad"), timeout=10)
    assert bad.status_code == 400 and "name" in bad.json()["message"]


AUTH = {
    "order": ["basic"],
    "anonymous": False,
    "basic": {
        "users": {
            "admin": {"password": "pw", "groups": ["admins"]},
            "reader": {"password": "pw", "groups": ["readers"]},
        }
    },
}
GRANTS = {"create_retry_policy": ["admins"], "update_retry_policy": ["admins"], "delete_retry_policy": ["admins"]}


@pytest.mark.parametrize(
    ("method", "verb"),
    [
        ("CreateRetryPolicy", "create_retry_policy"),
        ("UpdateRetryPolicy", "update_retry_policy"),
        ("DeleteRetryPolicy", "delete_retry_policy"),
    ],
)
def test_mutations_need_their_permission(method: str, verb: str) -> None:
    import base64

    config = ServerConfig.from_dict({"auth": AUTH, "authorization": {"permissions": GRANTS}})
    config.grpc_port = config.http_port = 0

    def creds(user: str) -> list[tuple[str, str]]:
        return [("authorization", "Basic " + base64.b64encode(f"{user}:pw".encode()).decode())]

    with BackgroundServer(config) as running, GrpcClient(running.grpc_target, timeout=10.0) as client:
        ok(client.call(f"{SERVICE}/CreateRetryPolicy", policy("shared"), metadata=creds("admin")))
        request = (
            {"name": "shared"}
            if method == "DeleteRetryPolicy"
            else policy("fresh" if method == "CreateRetryPolicy" else "shared")
        )
        assert_error(
            client.call(f"{SERVICE}/{method}", request, metadata=creds("reader")),
            "PERMISSION_DENIED",
            verb,
            request["name"],
        )
        ok(client.call(f"{SERVICE}/GetRetryPolicy", {"name": "shared"}, metadata=creds("reader")))
        ok(client.call(f"{SERVICE}/{method}", request, metadata=creds("admin")))
