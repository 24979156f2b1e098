"""Both JSON dialects of Armada's REST API, reduced to one form for comparison.

The published swagger promises proto3 JSON (enums as names); Armada's real gateway
writes Go ``encoding/json`` (enums as numbers, int64 as numbers). Parsing REST JSON
into the method's proto message accepts both, and either field spelling, so two
answers are equal exactly when they carry the same data. What will not parse is
itself a finding: the error names the field.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, message

import protos

# The gateway's mapping of gRPC codes to HTTP statuses (grpc-gateway v1), from the facts file.
HTTP_STATUS = {
    "OK": 200, "CANCELLED": 408, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503, "DATA_LOSS": 500,
}
GRPC_CODE_NUMBER = {name: n for n, name in enumerate(
    ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
     "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
     "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"])}


class DialectError(ValueError):
    """REST JSON that is in neither dialect (the message names the field)."""


def parse(json_value: Any, full_message_name: str) -> message.Message:
    """REST JSON (either dialect) as a message of type ``full_message_name``."""
    if not isinstance(json_value, dict):
        raise DialectError(f"expected a JSON object for {full_message_name}, got {type(json_value).__name__}")
    try:
        return json_format.ParseDict(json_value, protos.message_class(full_message_name)(),
                                     descriptor_pool=protos.pool())
    except json_format.ParseError as exc:
        raise DialectError(f"not valid {full_message_name} JSON: {exc}") from None


def as_dict(value: message.Message) -> dict[str, Any]:
    """A message as canonical proto3 JSON (names as in the swagger, zero values left out)."""
    return json_format.MessageToDict(value, descriptor_pool=protos.pool())


def masked(value: Any, volatile: frozenset[str]) -> Any:
    """``value`` with the values of ``volatile`` keys replaced, for comparing two separate objects."""
    if isinstance(value, dict):
        return {k: ("<volatile>" if k in volatile else masked(v, volatile)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, volatile) for v in value]
    return value


def response_type(method: str) -> str:
    service, name = method.split("/")
    return protos.method(f"api.{service}", name).output_type.full_name
