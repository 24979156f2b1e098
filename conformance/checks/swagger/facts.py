"""What our protos say about each REST-bound method: the facts the SWAGGER checks hold the document to.

Each REST-bound method as its ``google.api.http`` rule binds it (from ``protos.HttpBinding``,
the one route type), with the path written the swagger way, and the wire facts' type table
(proto type -> swagger type and format).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor

import protos
from conformance.eras import descriptor_of, methods, rest_bound

FD = descriptor.FieldDescriptor

# The type table of the wire facts: proto type -> (swagger type, format or None: not fixed by the facts).
SCALAR_FACTS: dict[int, tuple[str, str | None]] = {
    FD.TYPE_DOUBLE: ("number", "double"),
    FD.TYPE_FLOAT: ("number", None),
    FD.TYPE_INT64: ("integer", "int64"),
    FD.TYPE_SINT64: ("integer", "int64"),
    FD.TYPE_SFIXED64: ("integer", "int64"),
    FD.TYPE_UINT64: ("integer", None),
    FD.TYPE_FIXED64: ("integer", None),
    FD.TYPE_INT32: ("integer", "int32"),
    FD.TYPE_SINT32: ("integer", "int32"),
    FD.TYPE_SFIXED32: ("integer", "int32"),
    FD.TYPE_UINT32: ("integer", None),
    FD.TYPE_FIXED32: ("integer", None),
    FD.TYPE_BOOL: ("boolean", None),
    FD.TYPE_STRING: ("string", None),
    FD.TYPE_BYTES: ("string", "byte"),
}
WELL_KNOWN: dict[str, tuple[str, str | None]] = {
    "google.protobuf.Timestamp": ("string", "date-time"),
    "google.protobuf.Duration": ("string", None),
}
EMPTY = "google.protobuf.Empty"


@dataclass(frozen=True)
class Binding:
    """One REST-bound method as the ``google.api.http`` rule in our protos binds it."""

    method: str  # "Submit/GetQueue"
    name: str  # "GetQueue"
    verb: str  # "get"
    path: str  # swagger form: "/v1/queue/{name}"
    body: str
    path_params: tuple[str, ...]
    input: descriptor.Descriptor
    output: descriptor.Descriptor
    streaming: bool

    @property
    def where(self) -> str:
        return f"{self.verb.upper()} {self.path}"


def binding(method: str) -> Binding:
    name = method.split("/")[1]
    desc = descriptor_of(method)
    rule = protos.http_binding(desc)
    assert rule is not None, f"{method} has no REST binding"
    path = rule.path
    for param in rule.path_params:  # "{name=projects/*}" is written "{name}" in a swagger
        path = re.sub(r"\{" + re.escape(param) + r"=[^}]*\}", "{" + param + "}", path)
    return Binding(
        method,
        name,
        rule.verb.lower(),
        path,
        rule.body,
        tuple(rule.path_params),
        desc.input_type,
        desc.output_type,
        desc.server_streaming,
    )


def profile_bindings(ctx: Any) -> list[Binding]:
    """The REST-bound methods the judged release serves over REST."""
    judged = ctx.target.release
    return [binding(m) for m in methods(judged) if rest_bound(m) and judged.serves(m, "rest")]


def def_name(desc: descriptor.Descriptor) -> str:
    """The definition name grpc-gateway v1 gives a top-level ``api`` message: ``api<Message>``."""
    return "api" + desc.name


@functools.cache
def _enums_by_names() -> dict[frozenset[str], tuple[int, ...]]:
    """Every enum of our protos: its value names -> its value numbers."""
    found: dict[frozenset[str], tuple[int, ...]] = {}

    def add(enums: Any) -> None:
        for enum in enums:
            found[frozenset(v.name for v in enum.value)] = tuple(v.number for v in enum.value)

    def walk(messages: Any) -> None:
        for message in messages:
            add(message.enum_type)
            walk(message.nested_type)

    for file_proto in protos.file_descriptor_set().file:
        add(file_proto.enum_type)
        walk(file_proto.message_type)
    return found


def enum_numbers(names: list[str]) -> tuple[int, ...]:
    """The numbers of the enum whose names a swagger lists (empty if no enum of ours has exactly these)."""
    return _enums_by_names().get(frozenset(names), ())
