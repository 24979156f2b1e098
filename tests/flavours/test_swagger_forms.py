"""The swagger as Armada ships it, per era, and the pieces of Go's JSON text the armada flavours write."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from reference_server import go_json
from reference_server.armada_swagger import armada_swagger, swagger_for
from reference_server.quantities import FORMAT_WRONG, SUFFIX_WRONG, quantity_problem

STREAMS = {"/v1/job-set/{queue}/{id}": "post", "/v1/batched/queues": "get"}


@pytest.mark.parametrize("era", ["armada-2023", "armada-2026"])
def test_armada_swagger_shape(era: str) -> None:
    document = armada_swagger(era)
    for path, verb in STREAMS.items():
        operation = document["paths"][path][verb]
        schema = operation["responses"]["200"]["schema"]
        assert schema["type"] == "file" and schema["title"].startswith("Stream result of api")
        assert set(schema["properties"]) == {"result", "error"}
        assert operation["produces"] == ["application/ndjson-stream"]
    assert document["paths"]["/v1/queue/{name}"]["delete"]["responses"]["200"]["schema"] == {}
    assert document["definitions"]["resourceQuantity"] == {"type": "string"}
    assert set(document["definitions"]["runtimeStreamError"]["properties"]) == {
        "grpcCode",
        "httpCode",
        "message",
        "httpStatus",
        "details",
    }
    with pytest.raises(Exception, match="file"):  # what a strict validator says of every Armada release
        validate(document)


def test_eras_differ_in_methods_and_fields() -> None:
    seed, current = armada_swagger("armada-2023"), armada_swagger("armada-2026")
    assert "/v1/queue/{name}/info" in seed["paths"] and "/v1/queue/{name}/info" not in current["paths"]
    assert "name" not in seed["definitions"]["apiServiceConfig"]["properties"]
    assert "name" in current["definitions"]["apiServiceConfig"]["properties"]
    assert "cordoned" not in seed["definitions"]["apiQueue"]["properties"]


def test_empty_as_protoc_gen_swagger_writes_it() -> None:
    document = armada_swagger("armada-2026", empty="properties")
    assert document["paths"]["/v1/queue/{name}"]["delete"]["responses"]["200"]["schema"] == {"properties": {}}


def test_contract_swagger_is_valid_and_documents_quantities_as_strings() -> None:
    document = swagger_for("contract")
    validate(document)
    assert document["definitions"]["resourceQuantity"] == {"type": "string"}
    assert swagger_for("armada-2026") == armada_swagger("armada-2026")


@pytest.mark.parametrize(
    "value, text",
    [
        (1.0, "1"),
        (2.5, "2.5"),
        (1.5e-5, "0.000015"),
        (1e-7, "1e-7"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (0.1, "0.1"),
        (-3.0, "-3"),
    ],
)
def test_go_float_text(value: float, text: str) -> None:
    assert go_json.go_float(value) == text


def test_go_time_and_string_text() -> None:
    assert go_json.go_time(1675850400, 123456789) == "2023-02-08T10:00:00.123456789Z"
    assert go_json.go_time(1675850400, 120000000) == "2023-02-08T10:00:00.12Z"
    assert go_json.go_time(1675850400, 0) == "2023-02-08T10:00:00Z"
    assert go_json.dumps({"a": "<&>", "b": [1, None, True]}) == '{"a":"\\u003c\\u0026\\u003e","b":[1,null,true]}'
    numbers = [go_json.go_number(v) for v in (1.0, 2.5, 1.5e-5, 1e17, -0.0, 0.0)]
    assert go_json.dumps({"n": numbers, "s": "a\u2028b"}) == (
        '{"n":[1,2.5,0.000015,100000000000000000,-0,0],"s":"a\\u2028b"}'
    )


@pytest.mark.parametrize(
    "text, problem",
    [
        ("100m", ""),
        ("64Mi", ""),
        ("1.5", ""),
        ("1e3", ""),
        ("+2", ""),
        ("100x", FORMAT_WRONG),
        ("1.2.3", FORMAT_WRONG),
        ("m", FORMAT_WRONG),
        ("", FORMAT_WRONG),
        ("1Zi", FORMAT_WRONG),
        ("1mm", SUFFIX_WRONG),
        ("1KM", SUFFIX_WRONG),
    ],
)
def test_quantity_problems(text: str, problem: str) -> None:
    assert quantity_problem(text) == problem
