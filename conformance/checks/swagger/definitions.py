"""SWAGGER-Definitions: the ``api<Message>`` definitions of the documented responses against the descriptors.

``api.*`` messages are walked in depth (each once): every field documented under its
JSON name with the type of the wire facts' table; Kubernetes types, whose JSON form
the facts only sketch, need only resolve. The judged release decides which fields may be
missing: an older release's swagger predates fields our protos have (the first release of each field,
read from Armada's git history of ``pkg/api/*.proto``: ``conformance.proto_history``).
A stream's 200 response is read by the ``properties`` it carries, whatever its ``type``
(Armada writes ``file``: SWAGGER-Valid's finding); an Empty answer may be documented
as ``{}`` or ``{"properties": {}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor

from conformance.checks import CheckFailed, family
from conformance.checks.swagger.document import document, is_empty_object, operation, resolve
from conformance.checks.swagger.facts import EMPTY, FD, SCALAR_FACTS, WELL_KNOWN, Binding, def_name, profile_bindings
from conformance.context import RunContext
from conformance.eras import missing_fields
from conformance.proto_history import fields_after


@dataclass
class _DefinitionsWalk:
    """Compares definitions with descriptors, each message once, collecting problems."""

    doc: dict[str, Any]
    missing: frozenset[str] = frozenset()  # api.* fields the release's swagger may predate
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def message(self, desc: descriptor.Descriptor, schema: Any, where: str) -> None:
        name, resolved = resolve(self.doc, schema)
        label = name or where
        if resolved is None:
            self.problems.append(
                f"{where}: {schema.get('$ref') if isinstance(schema, dict) else schema} names no definition"
            )
            return
        if not desc.full_name.startswith("api.") or label in self.seen:
            return  # Kubernetes types: resolving is enough (the facts only sketch them)
        self.seen.add(label)
        if resolved.get("type", "object") != "object":
            self.problems.append(f"{label} ({desc.full_name}) has type {resolved.get('type')!r}, not object")
            return
        properties = resolved.get("properties") or {}
        for f in desc.fields:
            if f.json_name not in properties and f.full_name in self.missing:
                continue  # added after the release judged
            if f.json_name not in properties:
                self.problems.append(f"{label}.{f.json_name} ({f.full_name}) is not documented")
            else:
                self.field(f, properties[f.json_name], f"{label}.{f.json_name}")

    def field(self, f: FD, schema: Any, where: str) -> None:
        if not isinstance(schema, dict):
            self.problems.append(f"{where}: schema {schema!r} is not an object")
            return
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            if schema.get("type") != "object" or "additionalProperties" not in schema:
                self.problems.append(
                    f"{where} is a map: type object with additionalProperties; the swagger says {_short(schema)}"
                )
            else:
                self.single(f.message_type.fields_by_name["value"], schema["additionalProperties"], where + "{}")
            return
        if f.is_repeated:
            if schema.get("type") != "array" or "items" not in schema:
                self.problems.append(f"{where} is repeated: type array with items; the swagger says {_short(schema)}")
            else:
                self.single(f, schema["items"], where + "[]")
            return
        self.single(f, schema, where)

    def single(self, f: FD, schema: Any, where: str) -> None:
        if f.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
            assert f.message_type is not None
            full = f.message_type.full_name
            if full in WELL_KNOWN:
                self.scalar(WELL_KNOWN[full], schema, where)
            elif full != EMPTY:
                self.message(f.message_type, schema, where)
            return
        if f.type == FD.TYPE_ENUM:
            assert f.enum_type is not None
            self.enum(f.enum_type, schema, where)
            return
        self.scalar(SCALAR_FACTS[f.type], schema, where)

    def scalar(self, fact: tuple[str, str | None], schema: Any, where: str) -> None:
        _, resolved = resolve(self.doc, schema)
        expected_type, expected_format = fact
        if (
            not isinstance(resolved, dict)
            or resolved.get("type") != expected_type
            or (expected_format and resolved.get("format") != expected_format)
        ):
            want = expected_type + (f"/{expected_format}" if expected_format else "")
            self.problems.append(f"{where} should be {want}; the swagger says {_short(resolved)}")

    def enum(self, desc: descriptor.EnumDescriptor, schema: Any, where: str) -> None:
        _, resolved = resolve(self.doc, schema)
        every = {v.name for v in desc.values}
        names = [v.name for v in desc.values if f"{desc.full_name}.{v.name}" not in self.missing]
        documented = set(resolved.get("enum") or []) if isinstance(resolved, dict) else set()
        if (
            not isinstance(resolved, dict)
            or resolved.get("type") != "string"
            or not set(names) <= documented <= every  # the release's values; later ones may be there too
        ):
            self.problems.append(
                f"{where} is the enum {desc.full_name}: type string with enum {names}; "
                f"the swagger says {_short(resolved)}"
            )


def _short(schema: Any) -> str:
    text = json.dumps(schema, sort_keys=True) if schema is not None else "nothing"
    return text if len(text) <= 160 else text[:157] + "..."


def definitions_problems(
    doc: dict[str, Any], bindings: list[Binding], missing: frozenset[str] = frozenset()
) -> list[str]:
    """Every way the documented responses' definitions differ from the facts (of an era lacking ``missing``)."""
    walk = _DefinitionsWalk(doc, missing)
    for b in bindings:
        op = operation(doc, b)
        if op is None:
            continue  # undocumented operations are SWAGGER-Documents' finding
        response = (op.get("responses") or {}).get("200")
        schema = response.get("schema") if isinstance(response, dict) else None
        where = f"{b.where} 200"
        if b.output.full_name == EMPTY:
            if not is_empty_object(doc, schema):
                walk.problems.append(
                    f"{where}: {b.name} returns Empty, so an empty schema; the swagger says {_short(schema)}"
                )
            continue
        expected = {"$ref": f"#/definitions/{def_name(b.output)}"}
        if b.streaming:
            properties = (schema or {}).get("properties") or {} if isinstance(schema, dict) else {}
            if "error" not in properties:
                walk.problems.append(f"{where}: a stream result documents no 'error' property")
            schema, where = properties.get("result"), where + " result"
        if schema != expected:
            walk.problems.append(
                f"{where}: the response schema should be {expected}; the swagger says {_short(schema)}"
            )
            if not isinstance(schema, dict):
                continue
        walk.message(b.output, schema, where)
    return walk.problems


@family(
    "SWAGGER-Definitions",
    "SWAGGER",
    "the api<Message> definitions of the documented responses exist and "
    "their properties (JSON names) and types agree with the wire facts (fields the release predates may be absent)",
    source="pkg/api/submit.proto pkg/api/event.proto",
)
def definitions(ctx: RunContext) -> None:
    judged = ctx.target.release  # the fields its protos had (Armada's history, conformance/proto_history.py)
    problems = definitions_problems(document(ctx), profile_bindings(ctx), missing_fields(judged) | fields_after(judged))
    if problems:
        raise CheckFailed(
            f"{problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            {"problems": problems[:30]},
        )
