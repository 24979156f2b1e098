"""SWAGGER-ResponsesMatch and SWAGGER-EnumsAsNames: real answers against the documented response schemas.

ResponsesMatch validates each sample (``samples.py``) with jsonschema against the schema
its operation documents for its status, read closed and in either JSON dialect (a
client of Armada must accept both, ``shared/real-armada.md``): what real Armada writes
in Go's form is not a mismatch, an undocumented property or a wrong type is. Enums may
be numbers there: EnumsAsNames (recommended) alone reports that deviation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from conformance.checks import CheckFailed, Skip, family
from conformance.checks.swagger.document import document, is_file_stream, resolve
from conformance.checks.swagger.samples import response_schema, samples
from conformance.context import RunContext
from conformance.results import Severity

# grpc-gateway's own types whose Go JSON tags are snake_case while protoc-gen-swagger documents
# them in camelCase (``shared/real-armada.md``): their properties are read under either spelling.
SNAKE_ON_THE_WIRE = frozenset({"runtimeStreamError"})


def _closed(schema: Any, either_spelling: bool = False) -> Any:
    """A copy read as the facts mean it: documented objects closed, each value in either dialect.

    Closed: a property the document does not name is a mismatch. Either dialect
    (``conformance.dialects``): an enum also as its number, an int64 also as a number, a
    date-time also as Go's ``{"seconds", "nanos"}``, a ``{"string"}`` quantity also as a
    bare string; the properties of ``SNAKE_ON_THE_WIRE`` types also in snake_case.
    Armada's ``type: file`` stream schemas are read as the objects their properties describe.
    """
    if isinstance(schema, list):
        return [_closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        k: (_closed(v) if k in ("items", "additionalProperties", "allOf", "anyOf") else v) for k, v in schema.items()
    }
    if is_file_stream(schema):
        out["type"] = "object"
    if isinstance(schema.get("properties"), dict):
        properties = {k: _closed(v) for k, v in schema["properties"].items()}
        if either_spelling:
            properties = {**{_snake(k): v for k, v in properties.items()}, **properties}
        out["properties"] = properties
        out.setdefault("additionalProperties", False)
    alternative = _go_form(schema)
    return {"anyOf": [out, alternative]} if alternative else out


_GO_TIMESTAMP = {
    "type": "object",
    "properties": {"seconds": {"type": ["integer", "string"]}, "nanos": {"type": "integer"}},
    "additionalProperties": False,
}


def _go_form(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The other dialect's form of a documented value, if it has one."""
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string" and "enum" in schema:
        return {"type": "integer"}
    if kind == "string" and fmt in ("int64", "uint64"):
        return {"type": "integer"}
    if kind == "integer" and fmt in ("int64", "uint64"):
        return {"type": "string", "pattern": "^-?[0-9]+$"}
    if kind == "string" and fmt == "date-time":
        return _GO_TIMESTAMP
    if set(schema.get("properties") or {}) == {"string"}:
        return {"type": "string"}
    return None


def _snake(key: str) -> str:
    """``grpcCode`` -> ``grpc_code``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def validator(doc: dict[str, Any], schema: Any) -> Any:
    import jsonschema

    definitions = {k: _closed(v, k in SNAKE_ON_THE_WIRE) for k, v in (doc.get("definitions") or {}).items()}
    return jsonschema.Draft4Validator({**_closed(schema), "definitions": definitions})


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@family(
    "SWAGGER-ResponsesMatch",
    "SWAGGER",
    "real REST answers (a queue, a submission, event stream lines, "
    "error bodies) validate against the swagger's documented response schemas",
    mutating=True,
    source="pkg/api/api.swagger.json",
)
def responses_match(ctx: RunContext) -> None:
    doc = document(ctx)
    checked = []
    for sample in samples(ctx):
        found = response_schema(doc, sample)
        if found is None:
            continue
        where, schema = found
        if schema is None:
            raise CheckFailed(
                f"{sample.label}: HTTP {sample.status} has no documented response ({where})", {"answer": sample.body}
            )
        errors = sorted(validator(doc, schema).iter_errors(sample.body), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            path = _json_path(first.absolute_path)
            raise CheckFailed(
                f"{sample.label} does not match {where} at {path}: {first.message[:300]}",
                {
                    "path": path,
                    "answer": sample.body,
                    "schema_path": list(first.absolute_schema_path),
                    "errors": len(errors),
                },
            )
        checked.append(sample.label)
    if not checked:
        raise Skip("no sample answer has a documented operation")


def enum_values(
    doc: dict[str, Any], value: Any, schema: Any, path: str = "$", depth: int = 0
) -> Iterator[tuple[str, Any, list[str]]]:
    """(JSON path, value, allowed names) of every value the schema documents as an enum."""
    _, schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 40:
        return
    if schema.get("type") == "string" and "enum" in schema:
        yield path, value, list(schema["enum"])
    elif isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                yield from enum_values(doc, item, sub, f"{path}.{key}", depth + 1)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for n, item in enumerate(value):
            yield from enum_values(doc, item, schema["items"], f"{path}[{n}]", depth + 1)


@family(
    "SWAGGER-EnumsAsNames",
    "SWAGGER",
    "REST answers write enums as their names, as the swagger promises "
    "(real Armada writes numbers: a deviation from its own contract)",
    mutating=True,
    severity=Severity.RECOMMENDED,
    source="contract",
)
def enums_as_names(ctx: RunContext) -> None:
    doc = document(ctx)
    seen, wrong = [], []
    for sample in samples(ctx):
        found = response_schema(doc, sample)
        if found is None or found[1] is None:
            continue
        for path, value, names in enum_values(doc, sample.body, found[1]):
            seen.append(f"{sample.label} {path}")
            if not (isinstance(value, str) and value in names):
                wrong.append({"answer": sample.label, "path": path, "value": value, "names": names})
    if wrong:
        first = wrong[0]
        raise CheckFailed(
            f"{first['answer']} writes the enum at {first['path']} as {first['value']!r}, "
            f"not one of its names {first['names']}",
            {"enums": wrong[:20]},
        )
    if not seen:
        raise Skip("no answer carried an enum value to judge")
