"""Who may do what, per release: refusal codes and words, the v0.3.x watch rule and scheme order.

Real servers with Basic users: ``admin`` (every global permission), ``owner`` (none, but
owner of its queue), ``watcher`` (only the global ``watch_events``) and ``nobody``.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import pytest

from conformance.transport.grpc_client import GrpcClient, GrpcResult
from reference_server.auth.chain import _order
from reference_server.background import BackgroundServer
from reference_server.config import GLOBAL_PERMISSIONS, ServerConfig

USERS = {"admin": ["admins"], "owner": [], "watcher": ["watchers"], "nobody": []}


def header(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:pw-{user}".encode()).decode()


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, BackgroundServer]]:
    running: dict[str, BackgroundServer] = {}
    table = {
        "server": {"grpc_port": 0, "http_port": 0},
        "auth": {
            "basic": {"users": {u: {"password": f"pw-{u}", "groups": g} for u, g in USERS.items()}},
            "anonymous": True,
        },
        "authorization": {
            "permissions": {**{p: ["admins"] for p in GLOBAL_PERMISSIONS}, "watch_events": ["admins", "watchers"]}
        },
    }
    try:
        for flavour in ("contract", "armada-2023", "armada-2026"):
            config = ServerConfig.from_dict({**table, "server": {**table["server"], "flavour": flavour}})
            running[flavour] = BackgroundServer(config).start()
        yield running
    finally:
        for server in running.values():
            server.stop()


def call(server: BackgroundServer, user: str | None, method: str, body: dict, stream: bool = False) -> GrpcResult:
    metadata = [("authorization", header(user))] if user else []
    with GrpcClient(server.grpc_target, timeout=10.0) as client:
        return client.stream(method, body, metadata) if stream else client.call(method, body, metadata)


def owned_queue(server: BackgroundServer, *owners: str) -> str:
    name = f"q-{uuid.uuid4().hex[:10]}"
    created = call(server, "admin", "api.Submit/CreateQueue", {"name": name, "priorityFactor": 1, "userOwners": owners})
    assert created.ok, created.details
    cache = server.server.queue_cache
    if cache is not None:
        cache.refresh()
    return name


@pytest.mark.parametrize(
    "flavour, words",
    [
        ("armada-2023", '"nobody" does not have permission create_queue'),
        ("armada-2026", "nobody lacks permission create_queue"),
        ("contract", "needs the global permission 'create_queue'"),
    ],
)
def test_a_missing_global_permission(servers: dict[str, BackgroundServer], flavour: str, words: str) -> None:
    answer = call(servers[flavour], "nobody", "api.Submit/CreateQueue", {"name": "n", "priorityFactor": 1})
    assert answer.code == "PERMISSION_DENIED" and words in answer.details, answer.details


@pytest.mark.parametrize(
    "flavour, submit_code, cancel_code",
    [
        ("armada-2023", "UNKNOWN", "UNKNOWN"),  # raw ErrUnauthorized on the whole submit path
        ("armada-2026", "PERMISSION_DENIED", "UNKNOWN"),  # SubmitJobs wraps it; the others do not
        ("contract", "PERMISSION_DENIED", "PERMISSION_DENIED"),
    ],
)
def test_a_missing_queue_verb(
    servers: dict[str, BackgroundServer], flavour: str, submit_code: str, cancel_code: str
) -> None:
    queue = owned_queue(servers[flavour], "someone-else")
    submitted = call(servers[flavour], "nobody", "api.Submit/SubmitJobs", {"queue": queue, "jobSetId": "js"})
    cancelled = call(servers[flavour], "nobody", "api.Submit/CancelJobSet", {"queue": queue, "jobSetId": "js"})
    assert (submitted.code, cancelled.code) == (submit_code, cancel_code), (submitted.details, cancelled.details)
    if flavour != "contract":
        assert "nobody lacks permission submit" in submitted.details
        assert "nobody lacks permission cancel" in cancelled.details


@pytest.mark.parametrize(
    "user, allowed",
    [("owner", False), ("watcher", False), ("admin", True)],
)
def test_v03_reading_events_needs_the_global_watch_events_too(
    servers: dict[str, BackgroundServer], user: str, allowed: bool
) -> None:
    server = servers["armada-2023"]
    queue = owned_queue(server, "owner")
    answer = call(server, user, "api.Event/GetJobSetEvents", {"queue": queue, "id": "js"}, stream=True)
    assert answer.ok == allowed, answer.details
    if not allowed:
        assert answer.code == "PERMISSION_DENIED" and "does not have permission watch" in answer.details


def test_v03_the_queue_verb_with_watch_events_reads_events(servers: dict[str, BackgroundServer]) -> None:
    server = servers["armada-2023"]
    queue = owned_queue(server, "watcher")
    assert call(server, "watcher", "api.Event/GetJobSetEvents", {"queue": queue, "id": "js"}, stream=True).ok


def test_current_the_queue_verb_alone_reads_events(servers: dict[str, BackgroundServer]) -> None:
    server = servers["armada-2026"]
    queue = owned_queue(server, "owner")
    assert call(server, "owner", "api.Event/GetJobSetEvents", {"queue": queue, "id": "js"}, stream=True).ok
    refused = call(server, "nobody", "api.Event/GetJobSetEvents", {"queue": queue, "id": "js"}, stream=True)
    assert refused.code == "PERMISSION_DENIED" and "nobody lacks permission watch" in refused.details


def test_v03_anonymous_admits_a_negotiate_call_kerberos_never_sees(servers: dict[str, BackgroundServer]) -> None:
    negotiate = [("authorization", "Negotiate " + base64.b64encode(b"\x60garbage").decode())]
    for flavour, admitted in (("armada-2023", True), ("contract", False)):
        with GrpcClient(servers[flavour].grpc_target, timeout=10.0) as client:
            answer = client.call("api.Submit/Health", {}, negotiate)
        assert answer.ok == admitted, (flavour, answer.code, answer.details)


def test_v03_default_order_puts_anonymous_before_kerberos() -> None:
    table = {"basic": {}, "kerberos": {}}
    assert _order(table, allow_anonymous=True, early_anonymous=True) == ["basic", "anonymous", "kerberos"]
    assert _order(table, allow_anonymous=True) == ["basic", "kerberos", "anonymous"]


@pytest.mark.parametrize(
    "flavour, cordon_needs",
    [("armada-2026", "cordon_queue"), ("contract", "create_queue")],
)
def test_renamed_permissions(flavour: str, cordon_needs: str) -> None:
    """From v0.9.8 cordoning needs cordon_queue, from v0.4.41 preempting preempt_any_jobs; the contract's are older."""
    grants = {"create_queue": ["makers"], "cordon_queue": ["cordoners"], "cancel_any_jobs": ["cancellers"]}
    users = {"maker": ["makers"], "cordoner": ["cordoners"], "canceller": ["cancellers"]}
    config = ServerConfig.from_dict(
        {
            "server": {"grpc_port": 0, "http_port": 0, "flavour": flavour},
            "auth": {"basic": {"users": {u: {"password": f"pw-{u}", "groups": g} for u, g in users.items()}}},
            "authorization": {"permissions": grants},
        }
    )
    with BackgroundServer(config) as server:
        queue = f"q-{uuid.uuid4().hex[:10]}"
        assert call(server, "maker", "api.Submit/CreateQueue", {"name": queue, "priorityFactor": 1}).ok
        if server.server.queue_cache is not None:
            server.server.queue_cache.refresh()
        allowed = "cordoner" if cordon_needs == "cordon_queue" else "maker"
        refused = "maker" if allowed == "cordoner" else "cordoner"
        assert call(server, refused, "api.QueueService/CordonQueue", {"name": queue}).code == "PERMISSION_DENIED"
        assert call(server, allowed, "api.QueueService/CordonQueue", {"name": queue}).ok
        preempt = {"queue": queue, "jobSetId": "js", "jobIds": ["01h00000000000000000000000"]}
        preempted = call(server, "canceller", "api.Submit/PreemptJobs", preempt)
        if flavour == "contract":  # cancel_any_jobs lets it through (to the unknown job's NOT_FOUND)
            assert preempted.code == "NOT_FOUND", preempted.details
        else:  # the raw ErrUnauthorized: UNKNOWN
            assert preempted.code == "UNKNOWN" and "lacks permission preempt" in preempted.details


@pytest.mark.parametrize("flavour, admitted", [("armada-2026", True), ("armada-2023", True), ("contract", False)])
def test_anonymous_admits_what_no_scheme_claims(
    servers: dict[str, BackgroundServer], flavour: str, admitted: bool
) -> None:
    """Armada's anonymous service accepts any call reaching it; a refused Basic value never reaches it."""
    with GrpcClient(servers[flavour].grpc_target, timeout=10.0) as client:
        foreign = client.call("api.Submit/Health", {}, [("authorization", "Digest username=x")])
        wrong = client.call(
            "api.Submit/Health", {}, [("authorization", "Basic " + base64.b64encode(b"admin:no").decode())]
        )
    assert foreign.ok == admitted, (foreign.code, foreign.details)
    assert wrong.code == "UNAUTHENTICATED"


def test_v03_queue_info_needs_the_watch_rule_and_answers_unknown_for_an_absent_queue(
    servers: dict[str, BackgroundServer],
) -> None:
    server = servers["armada-2023"]
    queue = owned_queue(server, "owner")
    refused = call(server, "owner", "api.Submit/GetQueueInfo", {"name": queue})
    assert refused.code == "PERMISSION_DENIED" and refused.details.startswith("[GetQueueInfo] error getting info")
    assert call(server, "admin", "api.Submit/GetQueueInfo", {"name": queue}).ok
    absent = call(server, "admin", "api.Submit/GetQueueInfo", {"name": "absent-queue"})
    assert absent.code == "UNKNOWN" and 'could not find queue "absent-queue"' in absent.details
