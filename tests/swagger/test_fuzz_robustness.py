"""SWAGGER-Schemathesis stays a judge of the server when its own input is odd.

Three bugs made the check fail for reasons of its own, hiding or inventing a finding:

* schemathesis hands back an operation it cannot read as an ``Err`` among the ``Ok``
  ones; the check once called ``ok()`` on it, so one unreadable operation ended the
  whole run with an ``AttributeError``. Now an unreadable operation the run would fuzz
  fails the check with schemathesis' own words, and one it would not fuzz leaves the
  others to run.
* a negative case may give ``queues`` any type; confinement iterated it, so a case
  such as ``{"queues": 5}`` raised ``TypeError`` and failed the check against any
  server (seen with a different hypothesis seed). Only a list of queues names queues.
* a negative case whose body is JSON whitespace only (``b"\\n\\t"``) was judged a
  "schema-violating request accepted"; grpc-gateway reads such a body as none at all
  (its decoder's io.EOF is accepted), so a stock Armada answers 200 too. Such cases
  are no longer sent (seed 2 generated one for CreateQueues).

Real parts: the reference server answers the calls; the document is served over
loopback HTTP through the target's ``swagger`` URL, as a user points at a swagger.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.checks import catalogue
from conformance.checks.swagger.fuzz import Confinement, reads_as_no_body
from conformance.context import RunContext
from conformance.runner import run_check
from conformance.settings import RunSettings
from conformance.target import Target
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.swagger import build_swagger

# A parameter reference that resolves to nothing: schemathesis cannot build the operation.
DANGLING = {"$ref": "#/parameters/nowhere"}
SMALL_RUN = {"max_examples": 2, "fuzz_budget": 30}


def _break_get_queue(doc: dict[str, Any]) -> None:
    doc["paths"]["/v1/queue/{name}"]["get"]["parameters"].append(DANGLING)


def _add_broken_extra(doc: dict[str, Any]) -> None:
    doc["paths"]["/v1/not-armada"] = {
        "get": {"operationId": "NotArmada", "parameters": [DANGLING], "responses": {"200": {"description": "ok"}}}
    }


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        yield running


def _serve(doc: dict[str, Any]) -> tuple[ThreadingHTTPServer, str]:
    body = json.dumps(doc).encode()

    class Swagger(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Swagger)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/swagger.json"


def _run(
    server: BackgroundServer, change: Callable[[dict[str, Any]], None], options: dict[str, Any] | None = None
) -> tuple[Any, RunContext]:
    doc = build_swagger()
    change(doc)
    httpd, url = _serve(doc)
    target = Target(
        name="reference",
        grpc=server.grpc_target,
        rest=server.rest_url,
        profile="current",
        timeout=5.0,
        prefix="conformance",
        swagger=url,
    )
    ctx = RunContext(target, settings=RunSettings.given(**(SMALL_RUN if options is None else options)))
    try:
        check = next(c for c in catalogue() if c.id == "SWAGGER-Schemathesis")
        return run_check(check, ctx), ctx
    finally:
        assert ctx.cleanup() == []
        ctx.close()
        httpd.shutdown()
        httpd.server_close()


def test_an_unreadable_operation_the_run_fuzzes_fails_with_the_reason(server: BackgroundServer) -> None:
    result, _ = _run(server, _break_get_queue)
    assert result.outcome.value == "failed", result.message
    assert "schemathesis cannot load the operations GetQueue" in result.message
    assert "nowhere" in result.message or "Unresolvable" in result.message, result.message
    assert "AttributeError" not in result.message


def test_an_unreadable_operation_outside_the_run_leaves_the_others_fuzzed(server: BackgroundServer) -> None:
    result, ctx = _run(server, _add_broken_extra)
    assert result.outcome.value == "passed", result.message
    stats = ctx.swagger_fuzz_stats
    assert stats.sent > 0
    assert any(op.startswith("GetQueue ") for op in stats.operations), stats.operations


@pytest.mark.parametrize("queues", [5, 2.5, True, "prod", {"name": "prod"}, None])
def test_confinement_reads_queue_names_only_from_a_list(queues: Any) -> None:
    case = SimpleNamespace(path_parameters={}, body={"queues": queues})
    assert Confinement("conformance-r1-fz-1").confine(case, 0) == []
    assert case.body == {"queues": queues}  # nothing to own: the case is sent as generated


@pytest.mark.parametrize(
    ("body", "none"),
    [
        (b"", True),
        (b"\n\t", True),
        (" \r\n", True),
        (b"\x0c", False),
        (b" {}", False),
        ("null", False),
        ({}, False),
        (None, False),
    ],
)
def test_only_json_whitespace_reads_as_no_body(body: Any, none: bool) -> None:
    assert reads_as_no_body(body) is none


def test_a_seed_that_generates_a_whitespace_body_passes(server: BackgroundServer) -> None:
    result, ctx = _run(server, lambda doc: None, {"seed": 2})
    assert result.outcome.value == "passed", result.message
    assert ctx.swagger_fuzz_stats.sent > 0
