"""Authorization over real gRPC and REST: who may call what, and what a refusal says.

A reference server with Basic users in different groups is asked, over both
transports, to do things a principal may or may not do: through a group's global
permission, through a queue's ``permissions`` (``User`` and ``Group`` subjects), by
owning a queue (``user_owners`` / ``group_owners``), through the implicit group
``everyone``. Every method in ``authz.RULES`` is refused without permission with
PERMISSION_DENIED / 403 and a message naming what is missing; reads need only an
authenticated caller.

The last tests are about secrets: with DEBUG logging captured, good and bad Basic,
Bearer and Negotiate credentials are sent, and no password, token or ticket may
show up in a log record or an error message; and a wrong password reads exactly
like an unknown user, so the answers do not reveal which user names exist.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from auth_kit import basic_header

import protos
from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.eras import all_methods, rest_bound
from conformance.transport.grpc_client import GrpcClient
from conformance.transport.rest_client import RestClient
from reference_server.authz import RULES
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

PASSWORDS = {
    "alice": "alice-Pw-7f3e9c21",
    "bob": "bob-Pw-2d8a6b10",
    "carol": "carol-Pw-c4e1f952",
    "dave": "dave-Pw-9b0d7e34",
}
GROUPS = {"alice": ["admins"], "bob": ["submitters"], "carol": [], "dave": ["team"]}
# Global permissions by group; carol holds none, bob only submit_any_jobs.
PERMISSIONS = {
    "submit_any_jobs": ["admins", "submitters"],
    "create_queue": ["admins"],
    "delete_queue": ["admins"],
    "cancel_any_jobs": ["admins"],
    "reprioritize_any_jobs": ["admins"],
    "watch_all_events": ["admins"],
}
TRANSPORTS = ("grpc", "rest")
_CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}
_JOB: dict[str, Any] = {
    "priority": 1,
    "namespace": "default",
    "podSpec": {
        "containers": [
            {
                "name": "main",
                "image": "busybox:1.36",
                "command": ["true"],
                "resources": {
                    "requests": {"cpu": {"string": "100000"}, "memory": {"string": "64Mi"}},
                    "limits": {"cpu": {"string": "100000"}, "memory": {"string": "64Mi"}},
                },
            }
        ]
    },
}  # never scheduled


def _server_config(permissions: dict[str, list[str]], **auth: Any) -> ServerConfig:
    users = {name: {"password": PASSWORDS[name], "groups": GROUPS[name]} for name in PASSWORDS}
    return ServerConfig.from_dict(
        {
            "auth": {"anonymous": False, "basic": {"users": users}, **auth},
            "authorization": {"permissions": permissions},
        },
        source="test",
    )


@dataclass
class Answer:
    code: str  # gRPC code name; over REST read from the error body's numeric code
    message: str
    www_authenticate: str = ""


class Api:
    """Both transports of one server, called as a named Basic user (None: no header)."""

    def __init__(self, server: BackgroundServer) -> None:
        self.grpc = GrpcClient(server.grpc_target, timeout=10.0)
        self.rest = RestClient(server.rest_url, timeout=10.0)

    def close(self) -> None:
        self.grpc.close()
        self.rest.close()

    def call(
        self,
        transport: str,
        method: str,
        request: dict[str, Any],
        user: str | None = None,
        authorization: str | None = None,
    ) -> Answer:
        """``method`` is ``"Service/Method"``; ``authorization`` overrides the user's header."""
        header = authorization or (basic_header(user, PASSWORDS[user]) if user else None)
        service, name = method.split("/")
        streaming = protos.method(f"api.{service}", name).server_streaming
        if transport == "grpc":
            metadata = [("authorization", header)] if header else []
            send = self.grpc.stream if streaming else self.grpc.call
            result = send(f"api.{method}", request, metadata=metadata)
            return Answer(result.code, result.details, result.headers.get("www-authenticate", ""))
        headers = {"Authorization": header} if header else {}
        send_rest = self.rest.stream if streaming else self.rest.call
        reply = send_rest(f"api.{method}", request, headers=headers)
        body = reply.body if isinstance(reply.body, dict) else {}
        if isinstance(body.get("error"), dict):  # a stream refused before its first message: the stream error form
            body = {"code": body["error"].get("grpc_code"), "message": body["error"].get("message", "")}
        code = "OK" if reply.status == 200 else _CODE_NAMES.get(body.get("code"), f"HTTP {reply.status}")
        return Answer(code, str(body.get("message", reply.text)), reply.headers.get("WWW-Authenticate", ""))


def request_for(name: str, queue: str) -> dict[str, Any]:
    """A well-formed request of method ``name`` aimed at ``queue``."""
    fresh = f"authz-new-{uuid.uuid4().hex[:8]}"
    job_set = {"queue": queue, "jobSetId": "js"}
    return {
        "SubmitJobs": {**job_set, "jobRequestItems": [_JOB]},
        "CancelJobs": {**job_set, "jobIds": ["absent-job"]},
        "CancelJobSet": job_set,
        "ReprioritizeJobs": {**job_set, "jobIds": ["absent-job"], "newPriority": 2},
        "PreemptJobs": {**job_set, "jobIds": ["absent-job"]},
        "CreateQueue": {"name": fresh, "priorityFactor": 1},
        "CreateQueues": {"queues": [{"name": fresh, "priorityFactor": 1}]},
        "UpdateQueue": {"name": queue, "priorityFactor": 2},
        "UpdateQueues": {"queues": [{"name": queue, "priorityFactor": 2}]},
        "GetJobSetEvents": {"queue": queue, "id": "js", "watch": False},
        "GetQueues": {"num": 10},
        "Watch": {"queue": queue, "jobSetId": "js"},
        "Health": {},
        "GetJobStatus": {"jobIds": ["absent-job"]},
        "GetJobDetails": {"jobIds": ["absent-job"]},
        "GetJobErrors": {"jobIds": ["absent-job"]},
        "GetJobRunDetails": {"runIds": ["absent-run"]},
        "GetJobStatusUsingExternalJobUri": {"queue": queue, "jobset": "js", "externalJobUri": "absent"},
        "GetActiveQueues": {},
        "GetRetryPolicies": {},
    }.get(name, {"name": queue})


# ---- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with BackgroundServer(_server_config(PERMISSIONS)) as server:
        client = Api(server)
        yield client
        client.close()


QUEUES: dict[str, dict[str, Any]] = {
    "plain": {},
    "user-perm": {"permissions": [{"subjects": [{"kind": "User", "name": "carol"}], "verbs": ["submit", "cancel"]}]},
    "group-perm": {"permissions": [{"subjects": [{"kind": "Group", "name": "team"}], "verbs": ["submit", "watch"]}]},
    "everyone-perm": {"permissions": [{"subjects": [{"kind": "Group", "name": "everyone"}], "verbs": ["watch"]}]},
    "user-owned": {"userOwners": ["carol"]},
    "group-owned": {"groupOwners": ["team"]},
}


@pytest.fixture(scope="module")
def queues(api: Api) -> dict[str, str]:
    """One queue per kind of grant, created by alice (admins)."""
    names = {}
    for kind, fields in QUEUES.items():
        name = f"authz-{kind}-{uuid.uuid4().hex[:6]}"
        answer = api.call("grpc", "Submit/CreateQueue", {"name": name, "priorityFactor": 1, **fields}, "alice")
        assert answer.code == "OK", answer.message
        names[kind] = name
    return names


# ---- who may do what --------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    why: str
    user: str
    method: str
    queue: str  # a key of QUEUES
    allowed: bool


GRANTS = [
    Grant("a group's global permission admits its member anywhere", "bob", "Submit/SubmitJobs", "plain", True),
    Grant("without a global permission or a queue grant, refused", "carol", "Submit/SubmitJobs", "plain", False),
    Grant("a group holding one permission does not hold another", "bob", "Submit/CreateQueue", "plain", False),
    Grant("a global permission covers only its own methods", "bob", "Submit/CancelJobSet", "plain", False),
    Grant("a User subject is granted the queue's verbs", "carol", "Submit/SubmitJobs", "user-perm", True),
    Grant("a User subject is granted every listed verb", "carol", "Submit/CancelJobs", "user-perm", True),
    Grant("a User subject is granted only the listed verbs", "carol", "Submit/ReprioritizeJobs", "user-perm", False),
    Grant("a User subject names only that user", "dave", "Submit/SubmitJobs", "user-perm", False),
    Grant("a Group subject admits the group's members", "dave", "Submit/SubmitJobs", "group-perm", True),
    Grant("a Group subject's watch verb allows reading events", "dave", "Event/GetJobSetEvents", "group-perm", True),
    Grant("a Group subject excludes non-members", "carol", "Submit/SubmitJobs", "group-perm", False),
    Grant(
        "the implicit group everyone admits anyone authenticated",
        "carol",
        "Event/GetJobSetEvents",
        "everyone-perm",
        True,
    ),
    Grant("everyone's verbs on a queue are only the listed ones", "carol", "Submit/SubmitJobs", "everyone-perm", False),
    Grant("a user owner may use every queue verb", "carol", "Submit/ReprioritizeJobs", "user-owned", True),
    Grant("a user owner may preempt", "carol", "Submit/PreemptJobs", "user-owned", True),
    Grant(
        "owning a queue does not grant deleting it (a global permission)",
        "carol",
        "Submit/DeleteQueue",
        "user-owned",
        False,
    ),
    Grant("a group owner's members may use the queue", "dave", "Submit/CancelJobSet", "group-owned", True),
    Grant("a grant on one queue does not extend to another", "carol", "Submit/SubmitJobs", "group-owned", False),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("grant", GRANTS, ids=[g.why for g in GRANTS])
def test_grants_and_denials(api: Api, queues: dict[str, str], grant: Grant, transport: str) -> None:
    queue = queues[grant.queue]
    answer = api.call(transport, grant.method, request_for(grant.method.split("/")[1], queue), grant.user)
    if grant.allowed:
        assert answer.code not in ("PERMISSION_DENIED", "UNAUTHENTICATED"), answer.message
    else:
        assert answer.code == "PERMISSION_DENIED", answer
        assert grant.user in answer.message


@pytest.fixture(scope="module")
def everyone_api() -> Iterator[Api]:
    """A server where the global permission cancel_any_jobs is granted to the group everyone."""
    with BackgroundServer(_server_config({"create_queue": ["admins"], "cancel_any_jobs": ["everyone"]})) as server:
        client = Api(server)
        yield client
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_global_permission_granted_to_everyone_admits_every_principal(everyone_api: Api, transport: str) -> None:
    queue = f"authz-everyone-{uuid.uuid4().hex[:6]}"
    assert everyone_api.call("grpc", "Submit/CreateQueue", {"name": queue, "priorityFactor": 1}, "alice").code == "OK"
    for user in ("carol", "dave"):
        allowed = everyone_api.call(transport, "Submit/CancelJobSet", request_for("CancelJobSet", queue), user)
        assert allowed.code == "OK", allowed.message
    refused = everyone_api.call(transport, "Submit/SubmitJobs", request_for("SubmitJobs", queue), "carol")
    assert refused.code == "PERMISSION_DENIED" and "submit_any_jobs" in refused.message
    nobody = everyone_api.call(transport, "Submit/CancelJobSet", request_for("CancelJobSet", queue))
    assert nobody.code == "UNAUTHENTICATED", "everyone means every authenticated principal, not anonymous callers"


# ---- every rule refuses, every read admits ----------------------------------------------

RULED = [
    (method, transport)
    for method in all_methods()
    if method.split("/")[1] in RULES
    for transport in TRANSPORTS
    if transport == "grpc" or rest_bound(method)
]
READS = [
    (method, transport)
    for method in all_methods()
    if method.split("/")[1] not in RULES
    for transport in TRANSPORTS
    if transport == "grpc" or rest_bound(method)
]


@pytest.mark.parametrize(("method", "transport"), RULED, ids=[f"{m}-{t}" for m, t in RULED])
def test_every_ruled_method_refuses_without_permission(
    api: Api, queues: dict[str, str], method: str, transport: str
) -> None:
    rule = RULES[method.split("/")[1]]
    answer = api.call(transport, method, request_for(method.split("/")[1], queues["plain"]), "carol")
    assert answer.code == "PERMISSION_DENIED", answer
    assert rule.permission in answer.message, f"the refusal does not name {rule.permission!r}: {answer.message}"
    if rule.verb:
        assert repr(rule.verb) in answer.message, f"the refusal does not name the verb {rule.verb!r}"


def test_every_rule_is_exercised_over_grpc() -> None:
    assert {m.split("/")[1] for m, t in RULED if t == "grpc"} == set(RULES)


@pytest.mark.parametrize(("method", "transport"), READS, ids=[f"{m}-{t}" for m, t in READS])
def test_reads_are_allowed_to_any_authenticated_principal(
    api: Api, queues: dict[str, str], method: str, transport: str
) -> None:
    request = request_for(method.split("/")[1], queues["plain"])
    answer = api.call(transport, method, request, "carol")
    assert answer.code not in ("PERMISSION_DENIED", "UNAUTHENTICATED"), answer
    refused = api.call(transport, method, request)  # the same read without credentials
    assert refused.code in ("UNAUTHENTICATED", "UNIMPLEMENTED"), refused


# ---- secrets ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_api(kerberos_realm: KerberosRealm, openid_provider: OpenIDProvider) -> Iterator[Api]:
    """Basic, OpenID Connect and Kerberos all enabled."""
    config = _server_config(
        PERMISSIONS,
        order=["basic", "oidc", "kerberos"],
        oidc=openid_provider.auth_table(),
        kerberos=kerberos_realm.auth_table(),
    )
    with BackgroundServer(config) as server:
        client = Api(server)
        yield client
        client.close()


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    return f"{header}.{payload}.{signature[:middle]}{'A' if signature[middle] != 'A' else 'B'}{signature[middle + 1 :]}"


def _fragments(secret: str) -> list[str]:
    """The secret and long pieces of it: a log that truncates a token still leaks its head or tail."""
    pieces = [secret]
    if len(secret) > 40:
        pieces += [secret[:24], secret[-24:], secret[len(secret) // 2 - 12 : len(secret) // 2 + 12]]
    return pieces


def test_no_secret_reaches_a_log_or_an_error_message(
    full_api: Api,
    kerberos_realm: KerberosRealm,
    openid_provider: OpenIDProvider,
    expired_negotiate: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good_token = openid_provider.id_token("alice", ["admins"])
    expired_token = openid_provider.expired_token("alice")
    replayed = kerberos_realm.negotiate("alice")
    wrong_service = kerberos_realm.negotiate_for_wrong_service("alice")
    wrong_password = "Wrong-Pw-5e7a1c0d"
    sends = [
        (transport, label, value)
        for transport in TRANSPORTS
        for label, value in [
            ("basic good", basic_header("alice", PASSWORDS["alice"])),
            ("basic wrong password", basic_header("alice", wrong_password)),
            ("basic unknown user", basic_header("mallory", wrong_password)),
            ("basic another user's password", basic_header("bob", PASSWORDS["alice"])),
            ("bearer good", f"Bearer {good_token}"),
            ("bearer tampered", f"Bearer {_tampered(good_token)}"),
            ("bearer expired", f"Bearer {expired_token}"),
            ("negotiate good", kerberos_realm.negotiate("alice")),  # Kerberos tokens are single-use: one per send
            ("negotiate replayed", replayed),
            ("negotiate wrong service", wrong_service),
            ("negotiate expired", expired_negotiate),
        ]
    ]
    secrets = [
        PASSWORDS["alice"],
        wrong_password,
        good_token.split(".")[2],
        expired_token.split(".")[2],
        *(value.partition(" ")[2] for _, _, value in sends),
    ]
    full_api.call("grpc", "Submit/GetQueue", {"name": "absent"}, authorization=replayed)  # its first use
    messages = []
    with caplog.at_level(logging.DEBUG):
        for transport, label, value in sends:
            answer = full_api.call(transport, "Submit/GetQueue", {"name": "absent"}, authorization=value)
            accepted = label.endswith("good")
            assert (answer.code != "UNAUTHENTICATED") == accepted, (label, transport, answer)
            messages.append(f"{label} {transport}: {answer.code} {answer.message} {answer.www_authenticate}")
    assert any(r.name.startswith("reference_server") for r in caplog.records), "no server log was captured"
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    said = "\n".join(messages)
    for secret in secrets:
        for fragment in _fragments(secret):
            assert fragment not in logged, "a credential reached the server log"
            assert fragment not in said, "a credential was echoed in an error message"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_wrong_password_and_unknown_user_answer_alike(api: Api, transport: str) -> None:
    wrong = api.call(
        transport, "Submit/GetQueue", {"name": "absent"}, authorization=basic_header("alice", "not-her-password")
    )
    unknown = api.call(
        transport,
        "Submit/GetQueue",
        {"name": "absent"},
        authorization=basic_header("nobody-by-this-name", "not-her-password"),
    )
    assert wrong.code == "UNAUTHENTICATED"
    assert (wrong.code, wrong.message, wrong.www_authenticate) == (
        unknown.code,
        unknown.message,
        unknown.www_authenticate,
    )
