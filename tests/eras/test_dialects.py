"""Either JSON dialect of Armada's REST API reads as the same message (``conformance.dialects``).

Each form here is one ``shared/real-armada.md`` says a real gateway writes: Go
``encoding/json`` (enums and int64 as numbers, quantities as strings, Timestamps per
era, Go-form oneofs, keys matched case-insensitively) next to proto3 JSON.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.cases import tiny_job
from conformance.dialects import DialectError, as_dict, parse, request_message

CREATED = "2023-11-14T22:13:20.123456789Z"


def _event(created: Any) -> dict[str, Any]:
    return {"id": "1-0", "message": {"submitted": {"jobId": "j", "created": created}}}


@pytest.mark.parametrize(
    "created, expected",
    [
        (CREATED, CREATED),  # proto3 / armada-2023 RFC 3339
        ("2023-11-14T22:13:20.1234567Z", "2023-11-14T22:13:20.123456700Z"),  # Go time.Time trims zeros
        ({"seconds": 1700000000, "nanos": 123456789}, CREATED),  # armada-2026 object
        ({"seconds": "1700000000", "nanos": 123456789}, CREATED),  # int64 as a string
        ({"seconds": 1700000000}, "2023-11-14T22:13:20Z"),  # zero nanos left out
        ({"nanos": 5}, "1970-01-01T00:00:00.000000005Z"),  # zero seconds left out
        ({}, "1970-01-01T00:00:00Z"),  # both left out
    ],
)
def test_every_timestamp_form_reads_as_the_same_instant(created: Any, expected: str) -> None:
    event = as_dict(parse(_event(created), "api.EventStreamMessage"))
    assert event["message"]["submitted"]["created"] == expected


def test_a_timestamp_object_with_other_keys_is_a_finding() -> None:
    with pytest.raises(DialectError, match="unknown keys"):
        parse(_event({"seconds": 1, "millis": 2}), "api.EventStreamMessage")


def test_quantities_as_strings_or_objects_are_the_same() -> None:
    go = {"queue": "q", "jobSetId": "s", "jobRequestItems": [tiny_job()]}
    proto = {"queue": "q", "jobSetId": "s", "jobRequestItems": [tiny_job()]}
    resources = proto["jobRequestItems"][0]["podSpec"]["containers"][0]["resources"]
    resources["limits"] = {"cpu": {"string": "100m"}, "memory": {"string": "64Mi"}}
    resources["requests"] = {"cpu": {"string": "100m"}, "memory": {"string": "64Mi"}}
    assert as_dict(parse(go, "api.JobSubmitRequest")) == as_dict(parse(proto, "api.JobSubmitRequest"))
    limits = request_message(go, "api.JobSubmitRequest").job_request_items[0].pod_spec.containers[0].resources.limits
    assert limits["cpu"].string == "100m" and limits["memory"].string == "64Mi"


def test_both_oneof_forms_of_a_queue_stream_line() -> None:
    proto = {"queue": {"name": "q", "priorityFactor": 1}}
    go = {"Event": {"queue": {"name": "q", "priorityFactor": 1}}}
    end = {"Event": {"end": {}}}
    assert as_dict(parse(go, "api.StreamingQueueMessage")) == as_dict(parse(proto, "api.StreamingQueueMessage"))
    assert as_dict(parse(end, "api.StreamingQueueMessage")) == {"end": {}}


def test_enums_as_names_or_numbers_and_int64_as_strings_or_numbers() -> None:
    by_name = {"jobId": "j", "job": {"services": [{"type": "Headless", "ports": [80]}]}}
    by_number = {"jobId": "j", "job": {"services": [{"type": 1, "ports": [80]}]}}
    assert as_dict(parse({"message": {"submitted": by_name}}, "api.EventStreamMessage")) == as_dict(
        parse({"message": {"submitted": by_number}}, "api.EventStreamMessage")
    )
    info_strings = {"activeJobSets": [{"name": "s", "queuedJobs": "2"}]}
    info_numbers = {"activeJobSets": [{"name": "s", "queuedJobs": 2}]}
    assert as_dict(parse(info_strings, "api.QueueInfo")) == as_dict(parse(info_numbers, "api.QueueInfo"))


def test_keys_match_as_go_matches_them() -> None:
    exact = as_dict(parse({"jobResponseItems": [{"jobId": "x"}]}, "api.JobSubmitResponse"))
    assert as_dict(parse({"JobResponseItems": [{"jobid": "x"}]}, "api.JobSubmitResponse")) == exact
    assert as_dict(parse({"job_response_items": [{"job_id": "x"}]}, "api.JobSubmitResponse")) == exact


@pytest.mark.parametrize(
    "answer, named",
    [
        ({"jobResponseItems": [{"jobId": 7}]}, "jobId"),
        ({"jobResponseItems": "nope"}, "jobResponseItems"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_what_is_in_neither_dialect_names_the_field(answer: dict[str, Any], named: str) -> None:
    with pytest.raises(DialectError, match=named):
        parse(answer, "api.JobSubmitResponse")
