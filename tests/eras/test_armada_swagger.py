"""The SWAGGER checks fed a swagger shaped exactly like Armada's: no crash, only the predicted findings.

``reference_server.armada_swagger`` builds the document from our protos the way
Armada's build does (``shared/real-armada.md``): ``type: file`` stream responses,
string quantities, Empty as ``{}`` or ``{"properties": {}}``, camelCase
``runtimeStreamError``, the era's methods and fields. The document is served over a
real loopback HTTP server and named by ``[target] swagger``, as a user would; the
target's gRPC and REST are a reference server of the same era, so a method the era
lacks is really unserved (GetQueueInfo on armada-2026: "not offered").
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from conformance import eras
from conformance.checks import catalogue, select
from conformance.checks.swagger.answers import validator
from conformance.checks.swagger.definitions import definitions_problems
from conformance.checks.swagger.document import operation
from conformance.checks.swagger.facts import binding
from conformance.context import RunContext
from conformance.known_failures import known_failures
from conformance.results import Outcome
from conformance.runner import run_check
from conformance.target import Target
from reference_server.armada_swagger import armada_swagger
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

RELEASES = (*eras.NAMES, "v0.8.7")  # the two presets and one release between them
CASES = [(era, empty) for era in RELEASES for empty in ("{}", "properties")]
# The checks that need only the document (the others need real answers: tests/eras/test_flavours.py).
DOCUMENT_ONLY = ("SWAGGER-Served", "SWAGGER-Valid", "SWAGGER-Definitions", "SWAGGER-Documents-*")


@pytest.fixture(scope="module")
def era_servers() -> Iterator[dict[str, BackgroundServer]]:
    running = {era: BackgroundServer(ServerConfig(flavour=era)).start() for era in RELEASES}
    try:
        yield running
    finally:
        for server in running.values():
            server.stop()


@pytest.fixture
def served() -> Iterator[dict[str, Any]]:
    """A loopback HTTP server answering GET /swagger.json with whatever ``served["doc"]`` holds."""
    holder: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(holder["doc"]).encode()
            self.send_response(200 if self.path == "/swagger.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    holder["url"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield holder
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("era, empty", CASES)
def test_document_checks_find_only_the_known_deviation(
    served: dict[str, Any], era_servers: dict[str, Any], era: str, empty: str
) -> None:
    served["doc"] = armada_swagger(era, empty)  # type: ignore[arg-type]
    server = era_servers[era]
    target = Target(
        name="armada-shaped",
        grpc=server.grpc_target,
        rest=server.rest_url,
        profile=era,
        timeout=5.0,
        swagger=served["url"] + "/swagger.json",
    )
    ctx = RunContext(target)
    try:
        checks = select(catalogue(), None, DOCUMENT_ONLY)
        results = {c.id: run_check(c, ctx) for c in checks}
    finally:
        ctx.close()
    failed = {i for i, r in results.items() if r.outcome is Outcome.FAILED}
    known_document_findings = {k.id for k in known_failures(era)} & set(results)
    assert failed == known_document_findings == {"SWAGGER-Valid"}
    assert "type: file" in results["SWAGGER-Valid"].message
    lacked = {c.id for c in checks if c.not_offered(target.release)}
    assert lacked == {i for i in lacked if i.startswith("SWAGGER-Documents-")}
    assert {i for i, r in results.items() if r.outcome is Outcome.NOT_OFFERED} == lacked & set(results)
    assert all(r.outcome is Outcome.PASSED for i, r in results.items() if i not in failed | lacked), {
        i: (r.outcome, r.message) for i, r in results.items()
    }
    assert results["SWAGGER-Served"].outcome is Outcome.PASSED


def test_a_2023_swagger_is_judged_by_its_era_not_by_today() -> None:
    doc = armada_swagger("armada-2023")
    seed = eras.judged("armada-2023")
    bindings = [binding(m) for m in eras.methods(seed) if eras.rest_bound(m)]
    assert definitions_problems(doc, bindings, eras.missing_fields(seed)) == []
    today = definitions_problems(doc, [binding("Submit/GetQueue"), *bindings])
    assert any("apiQueue.labels" in p for p in today), today


def _schema(doc: dict[str, Any], method: str, status: str = "200") -> Any:
    found = operation(doc, binding(method))
    assert found is not None
    return found["responses"][status]["schema"]


@pytest.mark.parametrize("empty", ["{}", "properties"])
def test_real_answers_in_go_form_match_armadas_schemas(empty: str) -> None:
    doc = armada_swagger("armada-2026", empty)  # type: ignore[arg-type]
    line = {
        "result": {
            "id": "1700000000000-0",
            "message": {
                "submitted": {
                    "jobId": "j",
                    "queue": "q",
                    "created": {"seconds": 1700000000, "nanos": 5},
                    "job": {
                        "id": "j",
                        "priority": 1,
                        "services": [{"type": 1, "ports": [8080]}],
                        "podSpec": {"containers": [{"name": "main", "resources": {"limits": {"cpu": "100m"}}}]},
                    },
                }
            },
        }
    }
    stream = _schema(doc, "Event/GetJobSetEvents")
    assert list(validator(doc, stream).iter_errors(line)) == []
    refused = {"error": {"grpc_code": 5, "http_code": 404, "message": "no job set", "http_status": "Not Found"}}
    assert list(validator(doc, stream).iter_errors(refused)) == []
    assert validator(doc, _schema(doc, "Submit/DeleteQueue")).is_valid({})
    assert validator(doc, _schema(doc, "Submit/GetQueues")).is_valid({"result": {"queue": {"name": "q"}}})
    undocumented = {"result": {"id": "1", "message": {"submitted": {"jobId": "j", "surprise": True}}}}
    assert not validator(doc, stream).is_valid(undocumented)
    if empty == "properties":  # {"properties": {}} documents an object with nothing in it
        assert not validator(doc, _schema(doc, "Submit/DeleteQueue")).is_valid({"surprise": 1})
