"""Property-based run of the published swagger against the running gateway (schemathesis 4).

The schema is loaded from the server's own ``/api/swagger.json``. Every unary
operation gets positive cases (response must conform to the schema, no 5xx) and
negative cases (schema-violating input must be rejected with a 4xx, never a 5xx).
The two server streams are left out here: a random ``watch: true`` never ends, and a
line-delimited body is not one JSON document; ``test_rest_streams`` covers them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.swagger import routes

MAX_EXAMPLES = 12
STREAMS = {r.method.name for r in routes() if r.method.server_streaming}
UNARY = sorted(r.method.name for r in routes() if not r.method.server_streaming)
# Operations whose only input is a string path segment: no input can violate the schema.
NOTHING_TO_NEGATE = sorted(
    r.method.name
    for r in routes()
    if not r.body and not r.method.server_streaming and len(r.method.input_type.fields) == len(r.path_params)
)
# Negative cases that may be valid requests prove nothing: JSON null is a valid value of every
# field (proto3 JSON and Go's encoding/json read it as the default), and an empty or blank body
# is an empty request to grpc-gateway (its decoder's io.EOF).


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return value is None


POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[BackgroundServer]:
    """A server of its own: fuzzing creates and deletes arbitrary queues."""
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        yield running


@pytest.fixture(scope="module")
def operations(fuzz_server: BackgroundServer) -> dict[str, Any]:
    schema = schemathesis.openapi.from_url(f"{fuzz_server.rest_url}/api/swagger.json")
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.definition.raw["operationId"]] = operation
    return found


def test_schema_lists_every_operation(operations: dict[str, Any]) -> None:
    assert set(operations) == set(UNARY) | STREAMS


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation_id", UNARY)
def test_operation_conforms(
    operations: dict[str, Any], fuzz_server: BackgroundServer, operation_id: str, mode: GenerationMode
) -> None:
    if mode == GenerationMode.NEGATIVE and operation_id in NOTHING_TO_NEGATE:
        pytest.skip("its only input is a string path segment: nothing can violate the schema")
    checks = (
        POSITIVE_CHECKS
        if mode == GenerationMode.POSITIVE
        else [not_a_server_error, content_type_conformance, negative_data_rejection]
    )

    @given(case=operations[operation_id].as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        blank = isinstance(case.body, (str, bytes)) and not case.body.strip()
        if mode == GenerationMode.NEGATIVE and (blank or _has_null(case.body)):
            return
        case.call_and_validate(base_url=fuzz_server.rest_url, checks=checks, timeout=10)

    run()
