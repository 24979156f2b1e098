"""The SWAGGER checks' own logic, and the schemathesis run's safety on a shared server.

The fault matrix (``tests/faults``) proves each check fails when the server breaks
what it checks; here the pieces are pinned one by one (each kind of difference the
document checks report, the closed/enum-tolerant validation, the confinement of
generated names), and the schemathesis run is shown to leave alone a queue and a
job set that belong to someone else.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.cases import tiny_job
from conformance.checks import catalogue
from conformance.checks.swagger.answers import enum_values, validator
from conformance.checks.swagger.definitions import definitions_problems
from conformance.checks.swagger.document import operation
from conformance.checks.swagger.facts import binding
from conformance.checks.swagger.fuzz import Confinement, Unsafe
from conformance.checks.swagger.structure import documents_problems
from conformance.context import RunContext
from conformance.eras import all_methods, rest_bound
from conformance.runner import run_check
from conformance.target import Target
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.swagger import build_swagger

BINDINGS = [binding(m) for m in all_methods() if rest_bound(m)]


@pytest.fixture
def doc() -> dict[str, Any]:
    return build_swagger()


def test_the_reference_document_has_no_problems(doc: dict[str, Any]) -> None:
    assert {b.name: documents_problems(doc, b) for b in BINDINGS} == {b.name: [] for b in BINDINGS}
    assert definitions_problems(doc, BINDINGS) == []


def _op(doc: dict[str, Any], method: str) -> dict[str, Any]:
    found = operation(doc, binding(method))
    assert found is not None
    return found


def _param(doc: dict[str, Any], method: str, name: str) -> dict[str, Any]:
    return next(p for p in _op(doc, method)["parameters"] if p["name"] == name)


MUTATIONS: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "operationId": (
        "Submit/GetQueue",
        lambda d: _op(d, "Submit/GetQueue").update(operationId="Submit_GetQueue"),
        "operationId is 'Submit_GetQueue'",
    ),
    "path missing": (
        "Submit/GetQueueInfo",
        lambda d: d["paths"].pop("/v1/queue/{name}/info"),
        "path /v1/queue/{name}/info is not documented",
    ),
    "verb missing": (
        "Submit/DeleteQueue",
        lambda d: d["paths"]["/v1/queue/{name}"].pop("delete"),
        "has no delete operation",
    ),
    "path param optional": (
        "Submit/GetQueue",
        lambda d: _param(d, "Submit/GetQueue", "name").update(required=False),
        "not marked required",
    ),
    "path param type": (
        "Submit/GetQueue",
        lambda d: _param(d, "Submit/GetQueue", "name").update(type="integer"),
        "has type 'integer'",
    ),
    "body ref": (
        "Submit/SubmitJobs",
        lambda d: _param(d, "Submit/SubmitJobs", "body").update(schema={"$ref": "#/definitions/apiQueue"}),
        "not {'$ref': '#/definitions/apiJobSubmitRequest'}",
    ),
    "body missing": (
        "Submit/CancelJobs",
        lambda d: _op(d, "Submit/CancelJobs").pop("parameters"),
        "exactly one body parameter",
    ),
    "query param missing": (
        "Submit/GetQueues",
        lambda d: _op(d, "Submit/GetQueues").pop("parameters"),
        "query parameter num is not documented",
    ),
}


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
def test_documents_reports_each_kind_of_difference(doc: dict[str, Any], kind: str) -> None:
    method, mutate, expected = MUTATIONS[kind]
    mutate(doc)
    problems = documents_problems(doc, binding(method))
    assert any(expected in p for p in problems), problems


def test_definitions_reports_types_names_and_enums(doc: dict[str, Any]) -> None:
    queue = doc["definitions"]["apiQueue"]["properties"]
    queue["priorityFactor"] = {"type": "string"}
    del queue["labels"]
    doc["definitions"]["apiServiceType"]["enum"] = ["NodePort"]
    doc["definitions"]["apiJobSubmitResponse"]["properties"]["jobResponseItems"] = {"type": "string"}
    problems = definitions_problems(doc, BINDINGS)
    for expected in (
        "apiQueue.priorityFactor should be number/double",
        "apiQueue.labels (api.Queue.labels) is not",
        "is the enum api.ServiceType",
        "apiJobSubmitResponse.jobResponseItems is repeated",
    ):
        assert any(expected in p for p in problems), (expected, problems)


def test_definitions_requires_the_api_message_response_ref(doc: dict[str, Any]) -> None:
    _op(doc, "Submit/GetQueue")["responses"]["200"]["schema"] = {"$ref": "#/definitions/Queue"}
    problems = definitions_problems(doc, BINDINGS)
    assert any("should be {'$ref': '#/definitions/apiQueue'}" in p for p in problems), problems


def test_answers_are_read_closed_and_enums_may_be_numbers_there(doc: dict[str, Any]) -> None:
    queue_schema = _op(doc, "Submit/GetQueue")["responses"]["200"]["schema"]
    assert validator(doc, queue_schema).is_valid({"name": "q", "priorityFactor": 1})
    errors = list(validator(doc, queue_schema).iter_errors({"name": "q", "priority_factor": 1}))
    assert errors and "priority_factor" in errors[0].message  # an undocumented property is a mismatch
    line_schema = _op(doc, "Event/GetJobSetEvents")["responses"]["200"]["schema"]
    line = {
        "result": {
            "id": "1",
            "message": {"submitted": {"jobId": "j", "job": {"id": "j", "services": [{"type": 1, "ports": [8080]}]}}},
        }
    }
    assert validator(doc, line_schema).is_valid(line)  # numbers are SWAGGER-EnumsAsNames' finding alone
    assert list(enum_values(doc, line, line_schema)) == [
        ("$.result.message.submitted.job.services[0].type", 1, ["NodePort", "Headless"])
    ]
    named = copy.deepcopy(line)
    named["result"]["message"]["submitted"]["job"]["services"][0]["type"] = "Headless"
    assert [v for _, v, _ in enum_values(doc, named, line_schema)] == ["Headless"]


def _case(path: dict[str, Any] | None = None, body: Any = None) -> Any:
    return SimpleNamespace(path_parameters=dict(path or {}), body=body)


def test_confinement_rewrites_every_addressing_value() -> None:
    confinement = Confinement("conformance-r1-fz-1")
    case = _case(
        {"name": "prod"},
        {
            "queue": "prod",
            "jobSetId": "",
            "jobId": "01h",
            "jobIds": ["a", "b"],
            "queues": [{"name": "x", "priorityFactor": 1}, "not an object"],
            "reason": "kept",
        },
    )
    names = confinement.confine(case, 3)
    space = "conformance-r1-fz-1-o3-"
    assert case.path_parameters == {"name": space + "prod"}
    assert case.body == {
        "queue": space + "prod",
        "jobSetId": space,
        "jobId": space + "01h",
        "jobIds": [space + "a", space + "b"],
        "queues": [{"name": space + "x", "priorityFactor": 1}, "not an object"],
        "reason": "kept",
    }
    assert sorted(names) == sorted([space + "prod", space + "prod", space + "x"])
    assert confinement.confine(case, 3) == names  # idempotent: hypothesis may hand the same object back


@pytest.mark.parametrize("body", [{"name": 7}, {"queue": None}, {"jobIds": ["a", 2]}, {"queues": [{"name": []}]}])
def test_confinement_refuses_what_it_cannot_own(body: dict[str, Any]) -> None:
    with pytest.raises(Unsafe):
        Confinement("conformance-r1-fz-1").confine(_case(body=body), 0)


# ---- the schemathesis run against a server that holds someone else's things -------------


@pytest.fixture(scope="module")
def shared_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        yield running


def test_schemathesis_touches_nothing_it_did_not_create(shared_server: BackgroundServer) -> None:
    target = Target(
        name="shared",
        grpc=shared_server.grpc_target,
        rest=shared_server.rest_url,
        profile="current",
        timeout=5.0,
        prefix="conformance",
    )
    ctx, someone = RunContext(target), RunContext(target)  # someone else's queue and jobs, not in the run's ledger
    foreign = {"name": "team-prod", "priorityFactor": 3, "userOwners": ["someone"]}
    try:
        assert someone.call("Submit/CreateQueue", foreign).ok
        submitted = someone.call(
            "Submit/SubmitJobs",
            {"queue": "team-prod", "jobSetId": "nightly", "jobRequestItems": [tiny_job(kind="long")]},
        )
        assert submitted.ok
        before = ctx.call("Submit/GetQueue", {"name": "team-prod"}).response

        check = next(c for c in catalogue() if c.id == "SWAGGER-Schemathesis")
        result = run_check(check, ctx)
        assert result.outcome.value == "passed", result.message

        stats = ctx.swagger_fuzz_stats
        own = f"conformance-{ctx.run_id}-fz-"
        assert stats.sent > 0 and stats.addressed, stats
        assert all(name.startswith(own) for name in stats.addressed)
        queues = _queue_names(ctx)
        assert all(name.startswith(own) for name in queues - {"team-prod"}), queues
        assert ctx.call("Submit/GetQueue", {"name": "team-prod"}).response == before
        kinds = [kind for _, kind, _ in ctx.events("team-prod", "nightly")]
        assert "cancelling" not in kinds and "cancelled" not in kinds and "reprioritized" not in kinds
        assert set(ctx.created_queues) >= queues - {"team-prod"}  # all it made is the run's to clean up
    finally:
        assert ctx.cleanup() == []
        remaining = _queue_names(ctx)
        someone.call("Submit/CancelJobSet", {"queue": "team-prod", "jobSetId": "nightly"})
        someone.call("Submit/DeleteQueue", {"name": "team-prod"})
        ctx.close()
        someone.close()
    assert remaining == {"team-prod"}


def _queue_names(ctx: RunContext) -> set[str]:
    result = ctx.stream("Submit/GetQueues", {})
    assert result.ok
    return {m.queue.name for m in result.messages if m.WhichOneof("event") == "queue"}


def test_without_a_rest_url_every_swagger_check_is_not_configured() -> None:
    ctx = RunContext(Target(name="grpc only", grpc="127.0.0.1:1", rest=None, profile="current", timeout=1.0))
    try:
        outcomes = {c.id: run_check(c, ctx).outcome.value for c in catalogue() if c.category == "SWAGGER"}
    finally:
        ctx.close()
    lacked = {c.id for c in catalogue() if c.category == "SWAGGER" and c.not_offered(ctx.target.release)}
    assert lacked == {"SWAGGER-Documents-GetQueueInfo"}  # the newest release has no GetQueueInfo
    assert {v for i, v in outcomes.items() if i not in lacked} == {"not configured"}, outcomes
