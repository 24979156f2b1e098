"""JSON <-> protobuf for the REST gateway, in the dialect of the server's flavour.

Two dialects (``flavours.JsonDialect``). PROTO3 is the contract's: lowerCamelCase
names, enums as names, zero values left out. GO is what real Armada's gateway does
with Go's ``encoding/json`` over its generated structs: enums as numbers, Go float
text, sorted map keys, Go-form oneofs (``{"Event": {"queue": ...}}``) except
``api.EventMessage``, and on input keys matched case-insensitively against the JSON
names only. In both, int64 are JSON numbers (plain ``json_format.MessageToDict`` would
write strings) and Kubernetes quantities are JSON strings. Timestamps take the
flavour's form. Decoding reuses ``json_format.ParseDict`` after a walk that drops
unknown keys (grpc-gateway v1 ignores them) and rewrites the Go-only forms.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor, json_format, message

import protos
from reference_server import go_json
from reference_server.flavours import Flavour, JsonDialect, TimestampForm
from reference_server.quantities import FORMAT_WRONG, QUANTITY, go_quantity_text, quantity_problem

FD = descriptor.FieldDescriptor
_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"
_EMPTY = "google.protobuf.Empty"
# The one oneof Armada gives its own JSON form: only the set member, as proto3 JSON does.
_PROTO3_ONEOF_MESSAGES = frozenset({"api.EventMessage"})


class BadRequest(ValueError):
    """Client input that cannot become a request message; the text names the field."""


class NilElementPanic(Exception):
    """A JSON ``null`` in a list of Armada's (gogo, pointer) messages: marshalling it panics.

    Armada's gateway decodes ``"permissions": [null]`` into a nil element, then its
    generated marshaller dereferences it on the way to the gRPC server and panics;
    Go's net/http recovers by closing the connection without an answer. The gateway
    does the same with this (feature ``null_array_element_drops``).
    """


class JsonCodec:
    """Marshals messages to the JSON the REST gateway writes, and parses request bodies.

    ``enums_as_numbers`` alone (the ``rest-enum-as-number`` fault) bends the PROTO3
    dialect's enums; the GO dialect always writes numbers.
    """

    def __init__(
        self,
        enums_as_numbers: bool = False,
        dialect: JsonDialect = JsonDialect.PROTO3,
        timestamps: TimestampForm = TimestampForm.PROTO3,
        quantity_object_accepted: bool = True,
        short_enum_names: bool = False,
        nil_elements_panic: bool = False,
    ) -> None:
        self.nil_elements_panic = nil_elements_panic
        self.go = dialect is JsonDialect.GO
        self.short_enum_names = short_enum_names  # RetryAction written "Fail" / "Retry" (retry_action_short_names)
        self.enums_as_numbers = enums_as_numbers or self.go
        self.timestamps = timestamps
        self.quantity_object_accepted = quantity_object_accepted

    @classmethod
    def for_flavour(cls, flavour: Flavour, enums_as_numbers: bool = False) -> JsonCodec:
        return cls(
            enums_as_numbers,
            flavour.json,
            flavour.timestamps,
            flavour.quantity_object_accepted,
            short_enum_names=flavour.has("retry_action_short_names"),
            nil_elements_panic=flavour.has("null_array_element_drops"),
        )

    # ---- encoding -------------------------------------------------------------

    def to_dict(self, msg: message.Message) -> Any:
        """The JSON value of ``msg``: lowerCamelCase names, zero values left out."""
        full_name = msg.DESCRIPTOR.full_name
        special = _SPECIAL_WRITERS.get(full_name)
        if special is not None:
            return special(self, msg)
        out: dict[str, Any] = {}
        go_oneofs = self.go and full_name not in _PROTO3_ONEOF_MESSAGES
        for field, value in msg.ListFields():
            if field.is_extension:
                continue
            oneof = field.containing_oneof
            if go_oneofs and oneof is not None and not _synthetic(oneof):
                out[_go_name(oneof.name)] = {field.json_name: self._field_value(field, value)}
            else:
                out[field.json_name] = self._field_value(field, value)
        return out

    def dumps(self, msg: message.Message) -> str:
        return self.dumps_value(self.to_dict(msg))

    def dumps_value(self, value: Any) -> str:
        """JSON text of a value built by ``to_dict`` (Go's text in the GO dialect)."""
        if self.go:
            return go_json.dumps(value)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def _timestamp(self, msg: Any) -> Any:
        if self.timestamps is TimestampForm.GO_TIME:
            return go_json.go_time(msg.seconds, msg.nanos)
        if self.timestamps is TimestampForm.OBJECT:
            return {k: v for k, v in (("seconds", msg.seconds), ("nanos", msg.nanos)) if v}
        return msg.ToJsonString()

    def _field_value(self, field: FD, value: Any) -> Any:
        if _is_map(field):
            value_field = protos.message_type_of(field).fields_by_name["value"]
            items = sorted(value.items()) if self.go else value.items()
            return {_map_key(k): self._single(value_field, v) for k, v in items}
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
            return go_json.go_number(value) if self.go else _float(value)
        return value  # str, bool and every integer width (int64 as a JSON number)

    def _enum(self, field: FD, number: int) -> Any:
        enum = protos.enum_type_of(field)
        if self.short_enum_names and enum.full_name in SHORT_ENUM_PREFIXES:
            value = enum.values_by_number.get(number)
            if value is not None:  # Armada's RetryAction.MarshalJSON: "Fail", "Retry", "Unspecified"
                short = value.name.removeprefix(SHORT_ENUM_PREFIXES[enum.full_name])
                return short[:1].upper() + short[1:].lower()
        if self.enums_as_numbers:
            return number
        value = protos.enum_type_of(field).values_by_number.get(number)
        return value.name if value is not None else number

    # ---- decoding -------------------------------------------------------------

    def parse_body(self, raw: bytes, msg: message.Message) -> None:
        """Merge a JSON request body into ``msg``; an empty body is an empty message."""
        if is_blank(raw):
            return
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise BadRequest("request body is nested too deeply to be a request") from None
        self.merge_dict(data, msg)

    def merge_dict(self, data: Any, msg: message.Message) -> None:
        """Merge a parsed JSON object into ``msg``, ignoring keys the message lacks."""
        if not isinstance(data, dict):
            raise BadRequest(f"request body must be a JSON object ({msg.DESCRIPTOR.name}), not {type(data).__name__}")
        cleaned = _Reader(self).message(data, msg.DESCRIPTOR)
        try:
            json_format.ParseDict(cleaned, msg)
        except json_format.ParseError as exc:
            raise BadRequest(str(exc)) from None
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
            raise BadRequest(f"cannot read the request as {msg.DESCRIPTOR.name}: {exc}") from None


_SPECIAL_WRITERS: dict[str, Any] = {
    _TIMESTAMP: JsonCodec._timestamp,
    _DURATION: lambda _codec, msg: msg.ToJsonString(),
    _EMPTY: lambda _codec, _msg: {},
    QUANTITY: lambda _codec, msg: msg.string,
}


def _synthetic(oneof: descriptor.OneofDescriptor) -> bool:
    """proto3 ``optional`` fields sit in a synthetic oneof; Go has no wrapper for those."""
    return len(oneof.fields) == 1 and oneof.name == f"_{oneof.fields[0].name}"


def _go_name(name: str) -> str:
    """protoc-gen-go's CamelCase of a proto name: ``event`` -> ``Event``, ``job_state`` -> ``JobState``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


class _Reader:
    """Turns a request's JSON into what ``ParseDict`` reads, with the dialect's leniencies and refusals."""

    def __init__(self, codec: JsonCodec) -> None:
        self.go = codec.go
        self.nil_elements_panic = codec.nil_elements_panic
        self.quantity_object_accepted = codec.quantity_object_accepted

    def message(self, data: dict[str, Any], desc: Any) -> dict[str, Any]:
        if desc.full_name.startswith("google.protobuf."):
            return data
        out: dict[str, Any] = {}
        names = _field_names(desc)
        for key, value in data.items():
            field = self._field(names, key)
            if field is not None:
                out[field.json_name] = self._value(field, value)
        return out

    def _field(self, names: _FieldNames, key: str) -> FD | None:
        if self.go:  # Go: the JSON name exactly, else case-insensitively; the proto name is unknown
            return names.json.get(key) or names.folded.get(key.casefold())
        return names.json.get(key) or names.proto.get(key)

    def _value(self, field: FD, value: Any) -> Any:
        if field.message_type is None:
            self._scalar(field, value, field.json_name)
            return _enum_alias(field, value)
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            if isinstance(value, dict):
                return {k: self._single(value_field, v, f"{field.json_name}[{k!r}]") for k, v in value.items()}
            return value
        if field.is_repeated and isinstance(value, list):
            if self.nil_elements_panic and None in value and field.full_name.startswith("api."):
                raise NilElementPanic(f"nil element in {field.full_name}")
            return [self._single(field, v, field.json_name) for v in value]
        return self._single(field, value, field.json_name)

    def _single(self, field: FD, value: Any, where: str) -> Any:
        if field.message_type is None:
            self._scalar(field, value, where)
            return value
        if field.message_type.full_name == QUANTITY:
            return self._quantity(value, where)
        return self.message(value, field.message_type) if isinstance(value, dict) else value

    def _scalar(self, field: FD, value: Any, where: str) -> None:
        """Refuse what the dialect's reader refuses for a scalar field (protobuf's parser is laxer)."""
        _refuse_bool(field, value, where)
        if self.go and field.cpp_type in _GO_NO_STRINGS:
            items = value if isinstance(value, list) else [value]
            if any(isinstance(item, str) for item in items):  # Go: "cannot unmarshal string into ... float64"
                raise BadRequest(
                    f"json: cannot unmarshal string into Go struct field {where} of type "
                    f"{_GO_TYPES.get(field.cpp_type, 'number')}"
                )

    def _quantity(self, value: Any, where: str) -> Any:
        """A quantity: a string (or, as Go reads it, a number); the object form only in PROTO3."""
        if value is None:
            return {}  # JSON null: an empty quantity, as Go reads it
        if isinstance(value, dict) and self.quantity_object_accepted:
            return self.message(value, _quantity_descriptor(value))
        if not self.go:
            if not isinstance(value, str):
                raise BadRequest(f'field {where}: a quantity is a JSON string such as "100m"')
            return {"string": value}
        text = go_quantity_text(value)
        problem = FORMAT_WRONG if text is None else quantity_problem(text)
        if problem:
            raise BadRequest(problem)
        return {"string": text}


# Enums Armada's own JSON reader also takes by a short name, case-insensitively ("Fail", "retry":
# ``pkg/api/deserialize.go``), and writes so where the release has retry_action_short_names.
SHORT_ENUM_PREFIXES: dict[str, str] = {"api.RetryAction": "RETRY_ACTION_"}


def _enum_alias(field: FD, value: Any) -> Any:
    enum = field.enum_type
    prefix = SHORT_ENUM_PREFIXES.get(enum.full_name) if enum is not None else None
    if enum is None or prefix is None:
        return value
    names = enum.values_by_name

    def canonical(item: Any) -> Any:
        if not isinstance(item, str) or item in names:
            return item
        return prefix + item.upper() if prefix + item.upper() in names else item

    return [canonical(v) for v in value] if isinstance(value, list) else canonical(value)


@dataclass(frozen=True)
class _FieldNames:
    json: dict[str, FD]
    proto: dict[str, FD]
    folded: dict[str, FD]


@functools.cache
def _field_names(desc: descriptor.Descriptor) -> _FieldNames:
    """A message's fields by JSON name, proto name and case-folded JSON name (Go's fallback)."""
    fields = list(desc.fields)
    return _FieldNames(
        {f.json_name: f for f in fields}, {f.name: f for f in fields}, {f.json_name.casefold(): f for f in fields}
    )


def _quantity_descriptor(_value: Any) -> descriptor.Descriptor:
    import protos  # late: json_codec stays importable without compiling the protos

    return protos.pool().FindMessageTypeByName(QUANTITY)


_NUMERIC = frozenset(
    {FD.CPPTYPE_DOUBLE, FD.CPPTYPE_FLOAT, FD.CPPTYPE_INT32, FD.CPPTYPE_INT64, FD.CPPTYPE_UINT32, FD.CPPTYPE_UINT64}
)


# Go reads numbers and booleans only from JSON numbers and booleans (enums also take names).
_GO_TYPES = {
    FD.CPPTYPE_DOUBLE: "float64",
    FD.CPPTYPE_FLOAT: "float32",
    FD.CPPTYPE_INT32: "int32",
    FD.CPPTYPE_INT64: "int64",
    FD.CPPTYPE_UINT32: "uint32",
    FD.CPPTYPE_UINT64: "uint64",
    FD.CPPTYPE_BOOL: "bool",
}
_GO_NO_STRINGS = frozenset(_GO_TYPES)


def _refuse_bool(field: FD, value: Any, where: str) -> None:
    """JSON true/false is not a number; protobuf's parser would quietly read it as 1.0 / 0.0."""
    if field.cpp_type not in _NUMERIC:
        return
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, bool) for item in items):
        raise BadRequest(f"field {where}: expected a number, got a JSON boolean")


def is_blank(raw: bytes) -> bool:
    """No body for grpc-gateway: nothing but JSON whitespace (RFC 8259: space, tab, CR, LF).

    Its handlers accept the decoder's io.EOF and send the empty request; any other byte
    (a form feed, a vertical tab, which ``bytes.strip`` would also drop) is invalid JSON.
    """
    return not raw.strip(b" \t\r\n")


def _is_map(field: FD) -> bool:
    return field.type == FD.TYPE_MESSAGE and field.is_repeated and protos.message_type_of(field).GetOptions().map_entry


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
