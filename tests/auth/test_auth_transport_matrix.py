"""Each scheme x {gRPC, REST} x {valid, wrong, missing, malformed} against the reference server.

The accepted principal is read back the way a client sees it: the ``owner`` of the
job it submitted, from the job set's ``submitted`` event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from auth_kit import BASIC_USERS, basic_header

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.transport.grpc_client import GrpcClient
from conformance.transport.rest_client import RestClient
from reference_server.background import BackgroundServer
from reference_server.config import GLOBAL_PERMISSIONS, ServerConfig

ADMIN = basic_header("alice", "alice-password")
POD: dict[str, Any] = {
    "containers": [
        {
            "name": "main",
            "image": "busybox:1.36",
            "command": ["true"],
            "resources": {
                "requests": {"cpu": {"string": "100m"}, "memory": {"string": "64Mi"}},
                "limits": {"cpu": {"string": "100m"}, "memory": {"string": "64Mi"}},
            },
        }
    ],
    "restartPolicy": "Never",
}


@dataclass(frozen=True)
class Case:
    header: Callable[[], str | None]  # built at call time: Kerberos tokens are single-use
    principal: str | None  # the expected owner when accepted, None when refused
    challenge: str | None = None  # a challenge the refusal must carry


@dataclass
class Reply:
    accepted: bool
    status: str  # gRPC code name, or HTTP status as text
    headers: dict[str, str]


@pytest.fixture(scope="module")
def server(kerberos_realm: KerberosRealm, openid_provider: OpenIDProvider) -> Iterator[BackgroundServer]:
    auth = {
        "order": ["basic", "oidc", "kerberos"],
        "anonymous": False,
        "basic": {"users": BASIC_USERS},
        "oidc": openid_provider.auth_table(),
        "kerberos": kerberos_realm.auth_table(),
    }
    config = ServerConfig(
        grpc_port=0,
        http_port=0,
        auth=auth,
        development_mode=False,
        authorization={"permissions": {name: ["everyone"] for name in GLOBAL_PERMISSIONS}},
    )
    with BackgroundServer(config) as running:
        yield running


@pytest.fixture(scope="module")
def grpc_client(server: BackgroundServer) -> Iterator[GrpcClient]:
    with GrpcClient(server.grpc_target, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="module")
def rest_client(server: BackgroundServer) -> Iterator[RestClient]:
    client = RestClient(server.rest_url, timeout=10.0)
    yield client
    client.close()


@pytest.fixture(scope="module")
def queue(grpc_client: GrpcClient) -> str:
    name = f"auth-{uuid.uuid4().hex[:10]}"
    result = grpc_client.call(
        "api.Submit/CreateQueue", {"name": name, "priorityFactor": 1.0}, metadata=[("authorization", ADMIN)]
    )
    assert result.ok, result.details
    return name


def cases(realm: KerberosRealm, provider: OpenIDProvider) -> dict[tuple[str, str], Case]:
    return {
        ("basic", "valid"): Case(lambda: basic_header("bob", "bob-password"), "bob"),
        ("basic", "wrong"): Case(lambda: basic_header("bob", "alice-password"), None, "Basic"),
        ("basic", "missing"): Case(lambda: None, None, "Basic"),
        ("basic", "malformed"): Case(lambda: "Basic !!!", None, "Basic"),
        ("oidc", "valid"): Case(lambda: provider.bearer("olivia", ["ops"]), "olivia"),
        ("oidc", "wrong"): Case(lambda: "Bearer " + provider.wrong_audience_token("olivia"), None, "Bearer"),
        ("oidc", "missing"): Case(lambda: None, None, "Bearer"),
        ("oidc", "malformed"): Case(lambda: "Bearer not-a-jwt", None, "Bearer"),
        ("kerberos", "valid"): Case(lambda: realm.negotiate("carol"), "carol"),
        ("kerberos", "wrong"): Case(lambda: realm.negotiate_for_wrong_service("carol"), None, "Negotiate"),
        ("kerberos", "missing"): Case(lambda: None, None, "Negotiate"),
        ("kerberos", "malformed"): Case(lambda: "Negotiate %%%", None, "Negotiate"),
    }


def submit_grpc(client: GrpcClient, header: str | None, queue: str, job_set: str) -> Reply:
    metadata = [("authorization", header)] if header is not None else []
    result = client.call("api.Submit/SubmitJobs", submit_request(queue, job_set), metadata=metadata)
    return Reply(result.ok, result.code, {k.lower(): v for k, v in result.headers.items()})


def submit_rest(client: RestClient, header: str | None, queue: str, job_set: str) -> Reply:
    headers = {"Authorization": header} if header is not None else {}
    result = client.call("api.Submit/SubmitJobs", submit_request(queue, job_set), headers=headers)
    if result.status == 401:
        assert result.body["code"] == 16 and result.body["message"], result.body
    return Reply(result.status == 200, str(result.status), {k.lower(): v for k, v in result.headers.items()})


def submit_request(queue: str, job_set: str) -> dict[str, Any]:
    return {
        "queue": queue,
        "jobSetId": job_set,
        "jobRequestItems": [{"priority": 1, "namespace": "default", "podSpec": POD}],
    }


def submitted_owner(client: GrpcClient, queue: str, job_set: str) -> str:
    result = client.stream(
        "api.Event/GetJobSetEvents",
        {"queue": queue, "id": job_set, "watch": False},
        metadata=[("authorization", ADMIN)],
    )
    assert result.ok, result.details
    submitted = [m.message.submitted for m in result.messages if m.message.WhichOneof("events") == "submitted"]
    assert len(submitted) == 1, result.messages
    return submitted[0].job.owner


@pytest.mark.parametrize("transport", ["grpc", "rest"])
@pytest.mark.parametrize("scheme", ["basic", "oidc", "kerberos"])
@pytest.mark.parametrize("situation", ["valid", "wrong", "missing", "malformed"])
def test_matrix(
    kerberos_realm: KerberosRealm,
    openid_provider: OpenIDProvider,
    grpc_client: GrpcClient,
    rest_client: RestClient,
    queue: str,
    transport: str,
    scheme: str,
    situation: str,
) -> None:
    case = cases(kerberos_realm, openid_provider)[(scheme, situation)]
    job_set = f"set-{uuid.uuid4().hex[:10]}"
    header = case.header()
    if transport == "grpc":
        reply = submit_grpc(grpc_client, header, queue, job_set)
    else:
        reply = submit_rest(rest_client, header, queue, job_set)
    if case.principal is None:
        assert not reply.accepted
        assert reply.status == ("UNAUTHENTICATED" if transport == "grpc" else "401")
        assert case.challenge in reply.headers.get("www-authenticate", ""), reply.headers
        return
    assert reply.accepted, reply.status
    assert submitted_owner(grpc_client, queue, job_set) == case.principal
    if scheme == "kerberos":
        assert reply.headers["www-authenticate"].startswith("Negotiate ")


def test_kerberos_reply_token_verifies_over_both_transports(
    kerberos_realm: KerberosRealm, grpc_client: GrpcClient, rest_client: RestClient, queue: str
) -> None:
    for submit in (
        lambda h: submit_grpc(grpc_client, h, queue, "mutual"),
        lambda h: submit_rest(rest_client, h, queue, "mutual"),
    ):
        attempt = kerberos_realm.initiate("alice")
        reply = submit(attempt.header)
        assert reply.accepted
        attempt.verify_reply(reply.headers["www-authenticate"])
