"""HTTP request -> gRPC request message, as grpc-gateway v1's runtime converts one.

The body (``body: "*"`` or one field) is JSON read by the JSON codec; path and
query parameters are strings converted to each field's type; unknown query
parameters are ignored, as v1 does.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aiohttp import web
from google.protobuf import descriptor, message

import protos
from reference_server.faults import Faults
from reference_server.gateway.body import read_body
from reference_server.json_codec import BadRequest, JsonCodec, is_blank

FD = descriptor.FieldDescriptor

_INT_RANGES = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1),
    FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1),
    FD.TYPE_FIXED64: (0, 2**64 - 1),
}
_BOOLS = {
    "1": True,
    "t": True,
    "T": True,
    "TRUE": True,
    "true": True,
    "True": True,
    "0": False,
    "f": False,
    "F": False,
    "FALSE": False,
    "false": False,
    "False": False,
}


async def build_request(
    route: protos.HttpRoute, request: web.Request, codec: JsonCodec, faults: Faults, body_limit: int
) -> message.Message:
    """The request message of ``route`` from the HTTP request's body, path and query."""
    msg = protos.message_class(route.method.input_type.full_name)()
    if route.body == "*":
        try:
            codec.parse_body(await read_body(request, body_limit), msg)
        except BadRequest:
            if "rest-500-on-bad-input" in faults:
                raise web.HTTPInternalServerError(reason="Internal Server Error") from None
            raise
    elif route.body:
        _parse_body_field(codec, route.body, await read_body(request, body_limit), msg)
    for name in route.path_params:
        if not set_field_path(msg, name, [request.match_info[name]], f"path parameter {name}"):
            raise BadRequest(f"path parameter {name} names no field of {msg.DESCRIPTOR.full_name}")
    if not route.body:
        bound = set(route.path_params)
        for key in request.query:
            if key not in bound:
                set_field_path(msg, key, request.query.getall(key), f"query parameter {key}")
    return msg


def _parse_body_field(codec: JsonCodec, field_name: str, raw: bytes, msg: message.Message) -> None:
    try:
        value = None if is_blank(raw) else json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("request body is nested too deeply to be a request") from None
    if value is not None:
        field = msg.DESCRIPTOR.fields_by_name[field_name]
        codec.merge_dict({field.json_name: value}, msg)


def set_field_path(msg: protos.DynamicMessage, dotted: str, values: list[str], where: str) -> bool:
    """Set ``a.b.c`` of ``msg`` from strings; False when the path names no field (ignored, as v1)."""
    parts = dotted.split(".")
    target = msg
    for part in parts[:-1]:
        field = _find_field(target.DESCRIPTOR, part)
        if field is None or field.type != FD.TYPE_MESSAGE or field.is_repeated:
            return False
        target = getattr(target, field.name)
    field = _find_field(target.DESCRIPTOR, parts[-1])
    if field is None or field.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
        return False
    converted = [_scalar(field, v, where) for v in values]
    if field.is_repeated:
        getattr(target, field.name).extend(converted)
    else:
        setattr(target, field.name, converted[-1])
    return True


def _find_field(desc: descriptor.Descriptor, name: str) -> FD | None:
    return desc.fields_by_name.get(name) or desc.fields_by_camelcase_name.get(name)


def _scalar(field: FD, text: str, where: str) -> Any:
    """A path or query string converted to a field's type, as grpc-gateway's runtime does."""
    try:
        return _convert(field, text)
    except (ValueError, OverflowError, binascii.Error):
        kind = protos.enum_type_of(field).full_name if field.type == FD.TYPE_ENUM else _type_name(field)
        raise BadRequest(f"{where}: {text!r} is not a valid {kind} for field {field.name}") from None


def _convert(field: FD, text: str) -> Any:
    ftype = field.type
    if ftype == FD.TYPE_STRING:
        return text
    if ftype in _INT_RANGES:
        value = int(text, 10)
        low, high = _INT_RANGES[ftype]
        if not low <= value <= high:
            raise ValueError("out of range")
        return value
    if ftype in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return float(text)
    if ftype == FD.TYPE_BOOL:
        if text not in _BOOLS:
            raise ValueError("not a boolean")
        return _BOOLS[text]
    if ftype == FD.TYPE_ENUM:
        return _enum_number(field, text)
    if ftype == FD.TYPE_BYTES:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)
    raise ValueError("unsupported type")


def _enum_number(field: FD, text: str) -> int:
    enum = protos.enum_type_of(field)
    value_desc = enum.values_by_name.get(text)
    if value_desc is None and text.lstrip("-").isdigit():
        value_desc = enum.values_by_number.get(int(text))
    if value_desc is None:
        raise ValueError("unknown enum value")
    return value_desc.number


def _type_name(field: FD) -> str:
    names = {v: k for k, v in vars(FD).items() if k.startswith("TYPE_")}
    return names.get(field.type, "value").removeprefix("TYPE_").lower()
