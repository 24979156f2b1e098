"""JSON <-> protobuf for the REST gateway, in the dialect Armada's contract promises.

Why not plain ``json_format.MessageToDict``: it writes 64-bit integers as strings,
while Armada's gateway writes them as JSON numbers, and we need a switch to write
enums as numbers (the ``rest-enum-as-number`` fault, which is also what Armada's
Go ``encoding/json`` marshaller really does). So encoding walks the descriptors
itself. Decoding reuses ``json_format.ParseDict`` (it already accepts enum names or
numbers, camelCase or proto field names, int64 as numbers or strings) after
dropping unknown keys, as grpc-gateway v1 ignores them.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from google.protobuf import descriptor, json_format, message

FD = descriptor.FieldDescriptor
_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"
_EMPTY = "google.protobuf.Empty"


class BadRequest(ValueError):
    """Client input that cannot become a request message; the text names the field."""


class JsonCodec:
    """Marshals messages to the JSON the REST gateway writes, and parses request bodies.

    ``enums_as_numbers`` selects the Go ``encoding/json`` dialect for enums.
    """

    def __init__(self, enums_as_numbers: bool = False) -> None:
        self.enums_as_numbers = enums_as_numbers

    # ---- encoding -------------------------------------------------------------

    def to_dict(self, msg: message.Message) -> Any:
        """The JSON value of ``msg``: lowerCamelCase names, zero values left out."""
        full_name = msg.DESCRIPTOR.full_name
        if full_name in (_TIMESTAMP, _DURATION):
            return msg.ToJsonString()  # type: ignore[attr-defined]
        if full_name == _EMPTY:
            return {}
        out: dict[str, Any] = {}
        for field, value in msg.ListFields():
            if field.is_extension:
                continue
            out[field.json_name] = self._field_value(field, value)
        return out

    def dumps(self, msg: message.Message) -> str:
        return json.dumps(self.to_dict(msg), separators=(",", ":"), ensure_ascii=False)

    def _field_value(self, field: FD, value: Any) -> Any:
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            return {_map_key(k): self._single(value_field, v) for k, v in value.items()}
        if field.is_repeated:
            return [self._single(field, v) for v in value]
        return self._single(field, value)

    def _single(self, field: FD, value: Any) -> Any:
        ftype = field.type
        if ftype in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
            return self.to_dict(value)
        if ftype == FD.TYPE_ENUM:
            return self._enum(field, value)
        if ftype == FD.TYPE_BYTES:
            return base64.b64encode(value).decode("ascii")
        if ftype in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            return _float(value)
        return value  # str, bool and every integer width (int64 as a JSON number)

    def _enum(self, field: FD, number: int) -> Any:
        if self.enums_as_numbers:
            return number
        value = field.enum_type.values_by_number.get(number)
        return value.name if value is not None else number

    # ---- decoding -------------------------------------------------------------

    def parse_body(self, raw: bytes, msg: message.Message) -> None:
        """Merge a JSON request body into ``msg``; an empty body is an empty message."""
        if not raw.strip():
            return
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None
        self.merge_dict(data, msg)

    def merge_dict(self, data: Any, msg: message.Message) -> None:
        """Merge a parsed JSON object into ``msg``, ignoring keys the message lacks."""
        if not isinstance(data, dict):
            raise BadRequest(f"request body must be a JSON object ({msg.DESCRIPTOR.name}), "
                             f"not {type(data).__name__}")
        cleaned = strip_unknown(data, msg.DESCRIPTOR)
        try:
            json_format.ParseDict(cleaned, msg)
        except json_format.ParseError as exc:
            raise BadRequest(str(exc)) from None
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
            raise BadRequest(f"cannot read the request as {msg.DESCRIPTOR.name}: {exc}") from None


def strip_unknown(data: dict[str, Any], desc: descriptor.Descriptor) -> dict[str, Any]:
    """A copy of ``data`` without keys that name no field, at every nesting level.

    grpc-gateway v1 (and Go's ``encoding/json``) ignore unknown keys; stripping them
    first lets the strict parser still reject wrong types and unknown enum names.
    """
    if desc.full_name in (_TIMESTAMP, _DURATION, _EMPTY) or desc.full_name.startswith("google.protobuf."):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = desc.fields_by_camelcase_name.get(key) or desc.fields_by_name.get(key)
        if field is None:
            continue
        out[key] = _strip_value(field, value)
    return out


def _strip_value(field: FD, value: Any) -> Any:
    if field.message_type is None:
        _refuse_bool(field, value, field.json_name)
        return value
    if _is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        if isinstance(value, dict) and value_field.message_type is not None:
            return {k: _strip_one(value_field.message_type, v) for k, v in value.items()}
        if isinstance(value, dict):
            for key, item in value.items():
                _refuse_bool(value_field, item, f"{field.json_name}[{key!r}]")
        return value
    if field.is_repeated and isinstance(value, list):
        return [_strip_one(field.message_type, v) for v in value]
    return _strip_one(field.message_type, value)


_NUMERIC = frozenset({FD.CPPTYPE_DOUBLE, FD.CPPTYPE_FLOAT, FD.CPPTYPE_INT32, FD.CPPTYPE_INT64,
                      FD.CPPTYPE_UINT32, FD.CPPTYPE_UINT64})


def _refuse_bool(field: FD, value: Any, where: str) -> None:
    """JSON true/false is not a number; protobuf's parser would quietly read it as 1.0 / 0.0."""
    if field.cpp_type not in _NUMERIC:
        return
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, bool) for item in items):
        raise BadRequest(f"field {where}: expected a number, got a JSON boolean")


def _strip_one(desc: descriptor.Descriptor, value: Any) -> Any:
    return strip_unknown(value, desc) if isinstance(value, dict) else value


def _is_map(field: FD) -> bool:
    return (field.type == FD.TYPE_MESSAGE and field.is_repeated
            and field.message_type.GetOptions().map_entry)


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _float(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value

