"""SWAGGER-Served, SWAGGER-Valid, SWAGGER-Documents-<Method>: the document itself.

Served: one of the places of ``document.places`` answers 200 with a JSON object.
Valid: openapi-spec-validator accepts it as Swagger 2.0. Every Armada release fails
this: its post-processing turns stream responses into ``type: file`` schemas with
``properties`` (``shared/real-armada.md``); that is reported here, once, and every
other check reads those schemas by the ``properties`` they carry.
Documents: each REST-bound method of the release is documented as its HTTP rule says. A
method the target neither documents nor serves (gRPC UNIMPLEMENTED, or the gateway's
plain ``404 Not Found``) is "not offered".
"""

from __future__ import annotations

from typing import Any

import protos
from conformance import cases
from conformance.checks import CheckFailed, NotOffered, family
from conformance.checks.swagger.document import document, fetch, is_file_stream, operation, resolve
from conformance.checks.swagger.facts import FD, SCALAR_FACTS, Binding, binding, def_name
from conformance.context import RunContext, not_offered_over_rest
from conformance.eras import all_methods, is_streaming, rest_bound, wire


@family(
    "SWAGGER-Served",
    "SWAGGER",
    "GET <rest>/swagger.json (else <rest>/api/swagger.json, or [target] swagger) "
    "answers HTTP 200 with a JSON object (Content-Type application/json)",
    source="pkg/api/api.swagger.json",
)
def served(ctx: RunContext) -> None:
    fetched = fetch(ctx)
    evidence = {
        "url": fetched.url,
        "tried": fetched.tried,
        "status": fetched.status,
        "content_type": fetched.content_type,
        "body": fetched.text[:300],
    }
    if fetched.status != 200:
        why = f" ({fetched.problem})" if fetched.problem else ""
        raise CheckFailed(f"GET {fetched.url} answered HTTP {fetched.status}{why}", evidence)
    if not fetched.content_type.split(";")[0].strip().lower() == "application/json":
        raise CheckFailed(
            f"GET {fetched.url} answered Content-Type {fetched.content_type!r}, not application/json", evidence
        )
    if not isinstance(fetched.document, dict):
        why = f" ({fetched.problem})" if fetched.problem else ""
        raise CheckFailed(f"GET {fetched.url} is not a JSON object{why}", evidence)


def file_streams(doc: dict[str, Any]) -> list[str]:
    """``VERB path`` of every operation whose 200 response is a ``type: file`` schema with properties."""
    found = []
    for path, item in (doc.get("paths") or {}).items():
        for verb, op in item.items() if isinstance(item, dict) else ():
            response = ((op.get("responses") or {}).get("200") or {}) if isinstance(op, dict) else {}
            if isinstance(response, dict) and is_file_stream(response.get("schema")):
                found.append(f"{verb.upper()} {path}")
    return found


@family("SWAGGER-Valid", "SWAGGER", "the served document is valid Swagger 2.0 (openapi-spec-validator)")
def valid(ctx: RunContext) -> None:
    from openapi_spec_validator import OpenAPIV2SpecValidator

    doc = document(ctx)
    if doc.get("swagger") != "2.0":
        raise CheckFailed(
            f'the document declares swagger {doc.get("swagger")!r}, not "2.0"',
            {"swagger": doc.get("swagger"), "openapi": doc.get("openapi")},
        )
    errors = list(OpenAPIV2SpecValidator(doc).iter_errors())
    streams = file_streams(doc)
    if streams:
        raise CheckFailed(
            f"not valid Swagger 2.0: the stream responses of {', '.join(streams)} are "
            "`type: file` schemas with properties (Armada's post-processing)",
            {"file_streams": streams, "count": len(errors), "errors": [_line(e) for e in errors[:10]]},
        )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(document root)"
        raise CheckFailed(
            f"not valid Swagger 2.0 at {where}: {first.message.splitlines()[0]}",
            {"errors": [_line(e) for e in errors[:10]], "count": len(errors)},
        )


def _line(error: Any) -> str:
    return f"{'/'.join(str(p) for p in error.path)}: {error.message.splitlines()[0]}"


def _served(ctx: RunContext, method: str) -> bool:
    """Whether the target serves ``method`` at all: over gRPC, or over REST (not the plain 404)."""
    if not ctx.offered(method):
        return False
    rest = ctx.require_rest()
    request = cases.probe(method, ctx.name("absent"), ctx.target.jobs)
    send = rest.stream if is_streaming(method) else rest.call
    kwargs = {"limit": 1} if is_streaming(method) else {}
    return not not_offered_over_rest(send(wire(method), request, headers=ctx.headers(), **kwargs))


# ---- SWAGGER-Documents-<Method> -----------------------------------------------------------


def _documents_rows() -> list[dict[str, Any]]:
    return [{"method": m, "name": m.split("/")[1], "transport": "rest"} for m in all_methods() if rest_bound(m)]


def _scalar_problems(field_desc: FD, param: dict[str, Any], what: str) -> list[str]:
    """A path or query parameter's type against the facts (enums: strings with their names)."""
    expected_type: str | None
    expected_format: str | None
    if field_desc.type == FD.TYPE_ENUM:
        expected_type, expected_format = "string", None
    else:
        expected_type, expected_format = SCALAR_FACTS.get(field_desc.type, (None, None))
    single = param.get("items", {}) if field_desc.is_repeated else param
    problems = []
    if field_desc.is_repeated and param.get("type") != "array":
        problems.append(f"{what} is repeated, so type array; the swagger says {param.get('type')!r}")
    if expected_type and single.get("type") != expected_type:
        problems.append(f"{what} has type {single.get('type')!r}; the facts say {expected_type!r}")
    if expected_format and single.get("format") != expected_format:
        problems.append(f"{what} has format {single.get('format')!r}; the facts say {expected_format!r}")
    return problems


def documents_problems(doc: dict[str, Any], b: Binding) -> list[str]:
    """Every way the swagger's operation for ``b`` differs from the HTTP rule (empty: none)."""
    if b.path not in (doc.get("paths") or {}):
        return [f"path {b.path} is not documented"]
    op = operation(doc, b)
    if op is None:
        return [f"path {b.path} has no {b.verb} operation"]
    problems = []
    if op.get("operationId") != b.name:
        problems.append(f"operationId is {op.get('operationId')!r}, not the method name {b.name!r}")
    if "200" not in (op.get("responses") or {}):
        problems.append("no 200 response is documented")
    params = [p for p in op.get("parameters") or [] if isinstance(p, dict)]
    by_place: dict[str, dict[str, dict[str, Any]]] = {}
    for p in params:
        by_place.setdefault(str(p.get("in")), {})[str(p.get("name"))] = p
    path_params = by_place.get("path", {})
    for name in b.path_params:
        documented = path_params.get(name)
        if documented is None:
            problems.append(f"path parameter {name} is not documented")
            continue
        if documented.get("required") is not True:
            problems.append(f"path parameter {name} is not marked required")
        field_desc = protos.field_by_path(b.input, name)
        if field_desc is not None:
            problems += _scalar_problems(field_desc, documented, f"path parameter {name}")
    problems += [f"path parameter {n} is not in the path template" for n in path_params if n not in b.path_params]
    body = by_place.get("body", {})
    if b.body == "*":
        if len(body) != 1:
            problems.append(f'body:"*" needs exactly one body parameter; the swagger has {len(body)}')
        else:
            schema = next(iter(body.values())).get("schema") or {}
            expected = f"#/definitions/{def_name(b.input)}"
            if schema.get("$ref") != expected:
                problems.append(f"the body parameter's schema is {schema}, not {{'$ref': '{expected}'}}")
            elif resolve(doc, schema)[1] is None:
                problems.append(f"the body parameter's schema {expected} does not resolve")
    elif body:
        problems.append(f"{b.verb.upper()} without a body rule documents a body parameter")
    if not b.body and b.verb in ("get", "delete"):
        query = by_place.get("query", {})
        for f in b.input.fields:
            if f.name in b.path_params or f.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
                continue
            in_query = query.get(f.name) or query.get(f.json_name)
            if in_query is None:
                problems.append(f"query parameter {f.name} is not documented")
            else:
                problems += _scalar_problems(f, in_query, f"query parameter {f.name}")
    return problems


@family(
    "SWAGGER-Documents-{name}",
    "SWAGGER",
    "the swagger documents {method} as its HTTP rule says: path, verb, operationId {name}, path/body/query parameters",
    _documents_rows(),
    source="pkg/api/api.swagger.json",
)
def documents(ctx: RunContext, method: str, name: str, transport: str) -> None:
    b = binding(method)
    doc = document(ctx)
    problems = documents_problems(doc, b)
    if problems and b.path not in (doc.get("paths") or {}) and not _served(ctx, method):
        raise NotOffered(f"{method} is neither documented nor served ({problems[0]})")
    if problems:
        raise CheckFailed(
            f"{b.where} ({method}): {problems[0]}", {"problems": problems, "rule": b.where, "body": b.body}
        )
