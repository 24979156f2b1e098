"""Gateway pieces that need no server: status table, codec, routes, query parsing, swagger."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import json_format
from openapi_spec_validator import validate

import protos
from conformance.dialects import HTTP_STATUS
from reference_server.faults import Faults
from reference_server.gateway import codec, errors, metadata
from reference_server.json_codec import BadRequest, JsonCodec
from reference_server.swagger import build_swagger, definition_names, routes


def bound_methods() -> set[str]:
    found = set()
    for service_name in protos.SERVICES:
        for method in protos.service(service_name).methods:
            if protos.http_binding(method) is not None:
                found.add(method.full_name)
    return found


# ---- status mapping ---------------------------------------------------------------


@pytest.mark.parametrize("code", list(grpc.StatusCode), ids=lambda c: c.name)
def test_every_grpc_code_maps_as_the_facts_say(code: grpc.StatusCode) -> None:
    """The gateway's table and the suite's (``dialects.HTTP_STATUS``) agree; test_protos ties that to the facts."""
    assert errors.http_status(code) == HTTP_STATUS[code.name]


def test_rest_wrong_status_fault_bends_only_not_found() -> None:
    faults = Faults(["rest-wrong-status"])
    assert errors.http_status(grpc.StatusCode.NOT_FOUND, faults) == 500
    assert errors.http_status(grpc.StatusCode.ALREADY_EXISTS, faults) == 409


def test_error_body_shape_and_fault() -> None:
    body = errors.error_body(grpc.StatusCode.NOT_FOUND, "no queue", Faults())
    assert body == {"error": "no queue", "code": 5, "message": "no queue"}
    assert "code" not in errors.error_body(grpc.StatusCode.NOT_FOUND, "x", Faults(["rest-error-body-no-code"]))
    details = [{"type_url": "t", "value": ""}]
    assert errors.error_body(grpc.StatusCode.INTERNAL, "x", Faults(), details)["details"] == details


def test_status_details_are_decoded_from_the_trailer() -> None:
    any_bytes = b"\x0a\x03a/b\x12\x02hi"
    status = b"\x08\x05\x12\x02no" + b"\x1a" + bytes([len(any_bytes)]) + any_bytes
    assert errors.status_details((("grpc-status-details-bin", status),)) == [{"type_url": "a/b", "value": "aGk="}]


def test_response_metadata_headers() -> None:
    headers = metadata.incoming_headers(
        (("x-trace", "1"), ("www-authenticate", "Negotiate abc")), (("checksum-bin", b"\x01\x02"),)
    )
    assert headers == {
        "Grpc-Metadata-x-trace": "1",
        "WWW-Authenticate": "Negotiate abc",
        "Grpc-Metadata-checksum-bin": "AQI=",
    }


# ---- codec ------------------------------------------------------------------------


def event_message() -> object:
    msg = protos.message_class("api.EventStreamMessage")(id="7")
    failed = msg.message.failed
    failed.job_id, failed.cause = "j1", 2
    failed.created.FromJsonString("2024-05-01T10:00:00.250Z")
    failed.exit_codes["main"] = 137
    return msg


def test_event_json_dialect() -> None:
    out = JsonCodec().to_dict(event_message())
    assert out == {
        "id": "7",
        "message": {
            "failed": {"jobId": "j1", "created": "2024-05-01T10:00:00.250Z", "exitCodes": {"main": 137}, "cause": "OOM"}
        },
    }
    assert JsonCodec(enums_as_numbers=True).to_dict(event_message())["message"]["failed"]["cause"] == 2


def test_int64_is_a_json_number_and_zero_values_are_omitted() -> None:
    job = protos.message_class("api.Job")(id="j", priority=0)
    job.pod_spec.activeDeadlineSeconds = 2**40
    out = JsonCodec().to_dict(job)
    assert out == {"id": "j", "podSpec": {"activeDeadlineSeconds": 2**40}}
    assert json_format.MessageToDict(job)["podSpec"]["activeDeadlineSeconds"] == str(2**40)  # what we fix


def test_codec_agrees_with_protobuf_json_format() -> None:
    msg = event_message()
    ours = JsonCodec().to_dict(msg)
    assert json_format.ParseDict(ours, type(msg)()) == msg


def test_input_accepts_names_numbers_and_both_spellings() -> None:
    codec = JsonCodec()
    request = protos.message_class("api.JobSetCancelRequest")()
    codec.merge_dict({"job_set_id": "a", "queue": "q", "filter": {"states": ["RUNNING", 4]}, "unknown": 1}, request)
    assert request.job_set_id == "a" and list(request.filter.states) == [2, 4]
    other = protos.message_class("api.JobSetCancelRequest")()
    codec.merge_dict({"jobSetId": "a", "queue": "q", "filter": {"states": ["RUNNING", "FAILED"]}}, other)
    assert other == request


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"{", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"queue"', "JSON object"),
        (b'{"priorityFactor": "high"}', "priorityFactor"),
        (b'{"userOwners": "alice"}', "userOwners"),
        (b'{"permissions": [{"subjects": 3}]}', "subjects"),
        (b'{"cordoned": "yes"}', "cordoned"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_bad_bodies_are_bad_requests_naming_the_problem(raw: bytes, words: str) -> None:
    with pytest.raises(BadRequest, match=words):
        JsonCodec().parse_body(raw, protos.message_class("api.Queue")())


# ---- routes and parameters --------------------------------------------------------


def test_routes_are_exactly_the_http_bindings() -> None:
    found = {r.method.full_name: (r.verb, r.path, r.body) for r in routes()}
    assert set(found) == bound_methods()
    assert found["api.Submit.GetQueue"] == ("GET", "/v1/queue/{name}", "")
    assert found["api.Event.GetJobSetEvents"] == ("POST", "/v1/job-set/{queue}/{id}", "*")


def test_query_parameters_nested_and_repeated() -> None:
    request = protos.message_class("api.JobSetCancelRequest")()
    assert codec.set_field_path(request, "filter.states", ["RUNNING", "4"], "q")
    assert codec.set_field_path(request, "jobSetId", ["js"], "q")
    assert not codec.set_field_path(request, "nothing.here", ["1"], "q")
    assert list(request.filter.states) == [2, 4] and request.job_set_id == "js"
    with pytest.raises(BadRequest, match="num"):
        codec.set_field_path(protos.message_class("api.StreamingQueueGetRequest")(), "num", ["-1"], "num")


# ---- swagger ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def swagger() -> dict:
    return build_swagger()


def test_swagger_validates(swagger: dict) -> None:
    validate(json.loads(json.dumps(swagger)))


def test_every_bound_method_is_documented(swagger: dict) -> None:
    documented = {
        op["operationId"]: (verb.upper(), path) for path, ops in swagger["paths"].items() for verb, op in ops.items()
    }
    for route in routes():
        assert documented[route.method.name] == (route.verb, route.path)


def test_swagger_types_follow_the_facts(swagger: dict) -> None:
    defs = swagger["definitions"]
    queue = defs["apiQueue"]["properties"]
    assert queue["priorityFactor"] == {"type": "number", "format": "double"}
    assert queue["resourceLimits"] == {"type": "object", "additionalProperties": {"type": "number", "format": "double"}}
    assert queue["permissions"]["items"] == {"$ref": "#/definitions/QueuePermissions"}
    assert defs["apiJobState"]["type"] == "string" and "RUNNING" in defs["apiJobState"]["enum"]
    assert defs["apiJobState"]["default"] == "QUEUED"
    assert defs["v1PodSpec"]["properties"]["activeDeadlineSeconds"] == {"type": "integer", "format": "int64"}
    assert defs["apiJobSetInfo"]["properties"]["queuedJobs"] == {"type": "integer", "format": "int32"}
    assert defs["apiJobSubmittedEvent"]["properties"]["created"] == {"type": "string", "format": "date-time"}
    assert defs["apiJob"]["properties"]["compressedQueueOwnershipUserGroups"] == {"type": "string", "format": "byte"}
    assert "resourceQuantity" in defs
    ok_response = swagger["paths"]["/v1/queue"]["post"]["responses"]["200"]
    assert ok_response["schema"] == {}
    stream = swagger["paths"]["/v1/job-set/{queue}/{id}"]["post"]["responses"]["200"]["schema"]
    assert stream["title"] == "Stream result of apiEventStreamMessage"
    assert set(stream["properties"]) == {"result", "error"}
    assert swagger["paths"]["/v1/queue/{name}"]["get"]["responses"]["default"]["schema"] == {
        "$ref": "#/definitions/runtimeError"
    }


def test_swagger_parameters(swagger: dict) -> None:
    get_queues = swagger["paths"]["/v1/batched/queues"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["type"], p["format"]) for p in get_queues] == [("num", "query", "integer", "int64")]
    events = swagger["paths"]["/v1/job-set/{queue}/{id}"]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in events] == [("queue", "path"), ("id", "path"), ("body", "body")]


def test_swagger_descriptions_come_from_proto_comments(swagger: dict) -> None:
    assert swagger["paths"]["/v1/queue/{name}"]["get"]["summary"] == "Fetch a queue by name."
    assert "unit of fair share" in swagger["definitions"]["apiQueue"]["description"]


def test_definition_names_follow_grpc_gateway_v1() -> None:
    names = definition_names()
    assert names["api.Queue"] == "apiQueue"
    assert names["api.Queue.Permissions"] == "QueuePermissions"
    assert names["api.Queue.Permissions.Subject"] == "PermissionsSubject"
    assert names["k8s.io.api.core.v1.PodSpec"] == "v1PodSpec"
    assert names["k8s.io.apimachinery.pkg.api.resource.Quantity"] == "resourceQuantity"
    # Two types ending in the same name: the shortest unique suffix plus one component.
    assert definition_names(["a.x.Thing", "b.y.Thing"]) == {"a.x.Thing": "axThing", "b.y.Thing": "byThing"}


def test_swagger_path_missing_fault() -> None:
    paths = build_swagger(Faults(["swagger-path-missing"]))["paths"]
    assert "/v1/queue/{name}/info" not in paths and "/v1/queue/{name}" in paths


@pytest.mark.parametrize(
    "body",
    [
        {"name": "q", "priorityFactor": True},
        {"name": "q", "resourceLimits": {"cpu": False}},
        {"name": "q", "resourceLimitsByPriorityClassName": {"p": {"maximumResourceFraction": {"cpu": True}}}},
    ],
)
def test_a_json_boolean_is_not_a_number(body: dict) -> None:
    """protobuf's JSON parser reads true as 1.0 for doubles; the gateway must refuse it (400)."""
    with pytest.raises(BadRequest, match="expected a number, got a JSON boolean"):
        JsonCodec().merge_dict(body, protos.message_class("api.Queue")())
