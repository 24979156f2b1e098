"""Both JSON dialects of Armada's REST API, reduced to one form for comparison.

The published swagger promises proto3 JSON (enums as names, int64 as strings,
Timestamps as RFC 3339, oneof members inline, quantities as ``{"string": ...}``).
Armada's real gateway writes Go ``encoding/json`` over the generated structs
(``shared/real-armada.md``): enums and int64 as numbers, quantities as bare strings,
Timestamps as RFC 3339 (before v0.8.7) or ``{"seconds", "nanos"}`` with either key
left out when zero (from v0.8.7), oneofs keyed by the Go field name
(``{"Event": {"queue": ...}}``), keys matched case-insensitively. ``to_proto_json``
rewrites any of these into proto3 JSON by walking the message descriptor, so parsing
REST JSON accepts both and two answers are equal exactly when they carry the same
data. What will not parse is itself a finding: the error names the field.

Requests go the other way: the suite writes them as real Armada accepts them
(quantities as strings, camelCase keys), and the gRPC client reads them through the
same function into messages.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import descriptor, duration_pb2, json_format, message, timestamp_pb2

import protos
from conformance.eras import descriptor_of

# The gateway's mapping of gRPC codes to HTTP statuses (grpc-gateway v1), from the facts file.
HTTP_STATUS = {
    "OK": 200,
    "CANCELLED": 408,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}
# gRPC code names and numbers, from grpcio's own table (the wire carries the number).
GRPC_CODE_NUMBER = {code.name: int(code.value[0]) for code in grpc.StatusCode}


class DialectError(ValueError):
    """REST JSON that is in neither dialect (the message names the field)."""


def parse(json_value: Any, full_message_name: str) -> message.Message:
    """REST JSON (either dialect) as a message of type ``full_message_name``."""
    if not isinstance(json_value, dict):
        raise DialectError(f"expected a JSON object for {full_message_name}, got {type(json_value).__name__}")
    desc = protos.pool().FindMessageTypeByName(full_message_name)
    try:
        return json_format.ParseDict(
            to_proto_json(json_value, desc), protos.message_class(full_message_name)(), descriptor_pool=protos.pool()
        )
    except (json_format.ParseError, ValueError, TypeError, OverflowError) as exc:
        raise DialectError(f"not valid {full_message_name} JSON: {exc}") from None


# ---- either dialect -> proto3 JSON ---------------------------------------------------------

FD = descriptor.FieldDescriptor


def to_proto_json(value: Any, desc: descriptor.Descriptor) -> Any:
    """``value`` (JSON of message ``desc`` in either dialect) rewritten as proto3 JSON."""
    special = _SPECIAL.get(desc.full_name) or (_quantity if desc.name == "Quantity" else None)
    if special is not None:
        return special(value)
    if not isinstance(value, dict):
        return value  # ParseDict names the field whose JSON is not an object
    out: dict[str, Any] = {}
    for key, item in value.items():
        oneof = _oneof(desc, key)
        if oneof is not None and isinstance(item, dict):  # Go form: {"Event": {"queue": {...}}}
            out.update(to_proto_json(item, desc))
            continue
        field = _field(desc, key)
        out[field.json_name if field else key] = _field_value(field, item) if field else item
    return out


def _field(desc: descriptor.Descriptor, key: str) -> FD | None:
    """A field by JSON name, proto name, or either case-insensitively (as Go's decoder matches)."""
    found = desc.fields_by_camelcase_name.get(key) or desc.fields_by_name.get(key)
    if found is None:
        lowered = key.lower()
        found = next((f for f in desc.fields if lowered in (f.json_name.lower(), f.name.lower())), None)
    return found


def _oneof(desc: descriptor.Descriptor, key: str) -> descriptor.OneofDescriptor | None:
    if _field(desc, key) is not None:
        return None
    lowered = key.lower().replace("_", "")
    return next((o for o in desc.oneofs if o.name.lower().replace("_", "") == lowered), None)


# Enums whose REST form is a short name: from v0.22.3 Armada writes RetryAction as "Fail" / "Retry" /
# "Unspecified" and reads those besides the full names and numbers (pkg/api/deserialize.go).
SHORT_ENUM_PREFIX = {"api.RetryAction": "RETRY_ACTION_"}


def _enum_value(enum: descriptor.EnumDescriptor, item: Any) -> Any:
    """A short enum name (``"Fail"``) as its full name (``RETRY_ACTION_FAIL``); anything else as it is."""
    prefix = SHORT_ENUM_PREFIX.get(enum.full_name)
    if prefix is None or not isinstance(item, str) or item in enum.values_by_name:
        return item
    full = prefix + item.upper()
    return full if full in enum.values_by_name else item


def _field_value(field: FD, item: Any) -> Any:
    if field.enum_type is not None:
        if isinstance(item, list):
            return [_enum_value(field.enum_type, v) for v in item]
        return _enum_value(field.enum_type, item)
    if field.message_type is None or item is None:
        return item
    if field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        return {k: _field_value(value_field, v) for k, v in item.items()} if isinstance(item, dict) else item
    if field.is_repeated and isinstance(item, list):
        return [to_proto_json(v, field.message_type) for v in item]
    return to_proto_json(item, field.message_type)


def _seconds_nanos(value: dict[str, Any]) -> tuple[int, int]:
    lowered = {str(k).lower(): v for k, v in value.items()}
    unknown = set(lowered) - {"seconds", "nanos"}
    if unknown:
        raise DialectError(f"a Timestamp/Duration object has unknown keys {sorted(unknown)}")
    return int(lowered.get("seconds") or 0), int(lowered.get("nanos") or 0)


def _timestamp(value: Any) -> Any:
    """RFC 3339 string as is; Go's ``{"seconds", "nanos"}`` (keys maybe absent) as RFC 3339."""
    if isinstance(value, dict):
        seconds, nanos = _seconds_nanos(value)
        return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos).ToJsonString()
    return value


def _duration(value: Any) -> Any:
    if isinstance(value, dict):
        seconds, nanos = _seconds_nanos(value)
        return duration_pb2.Duration(seconds=seconds, nanos=nanos).ToJsonString()
    return value


def _quantity(value: Any) -> Any:
    """Kubernetes quantities: a bare string (the Go form real Armada speaks) or ``{"string": ...}``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int | float):
        return {"string": str(value)}
    return value


_SPECIAL = {"google.protobuf.Timestamp": _timestamp, "google.protobuf.Duration": _duration}


def request_message(request: Any, full_message_name: str) -> message.Message:
    """A request written as real Armada's REST accepts it, as a message for a gRPC call."""
    return parse(dict(request or {}), full_message_name)


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
    return str(descriptor_of(method).output_type.full_name)
