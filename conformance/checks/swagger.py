"""SWAGGER: ``<rest>/api/swagger.json`` is served, valid Swagger 2.0, and tells the truth.

The swagger is Armada's published REST contract, so these checks hold it to two
references: the wire facts (our protos: HTTP rules, field JSON names and types) and
what the endpoint really answers. They run against any target with a REST URL:

- ``SWAGGER-Served`` / ``SWAGGER-Valid``: HTTP 200 with a JSON object that
  openapi-spec-validator accepts as Swagger 2.0.
- ``SWAGGER-Documents-<Method>``: path, verb, operationId and parameters of each
  REST-bound method of the profile, as its ``google.api.http`` rule says.
- ``SWAGGER-Definitions``: the ``api<Message>`` definitions the documented 200
  responses reference exist, and their properties and types agree with the
  descriptors (``api.*`` messages in depth; Kubernetes types, whose JSON form the
  facts only sketch, need only resolve).
- ``SWAGGER-ResponsesMatch``: real answers (a run-created queue, a job submission,
  the job set's event lines, error bodies) validate against the documented response
  schemas with jsonschema; the first mismatch is reported with its JSON path.
  Documented objects are read as closed (an undocumented property is a mismatch),
  and enums may be numbers here: that deviation is the next check's alone.
- ``SWAGGER-EnumsAsNames`` (recommended): the same answers write enums as their
  names, as the swagger promises. Real Armada writes numbers (Go ``encoding/json``),
  a known deviation from its own contract, hence not required.
- ``SWAGGER-Schemathesis``: a bounded schemathesis run over the documented unary
  operations: positive cases must get schema-conforming answers and no 5xx,
  negative (schema-violating) cases a 4xx, never a 5xx.

Safety of the schemathesis run on a real deployment. It is ``mutating`` (skipped
under --read-only) and never addresses anything the run did not name:

1. Before a case is sent, every *addressing* value (path parameters and top-level
   body fields ``name``, ``queue``, ``jobSetId``, ``id``, ``jobId``, ``jobIds``,
   and ``queues[].name`` of the batch calls) is rewritten to
   ``<prefix>-<run id>-fz-<n>-o<k>-<generated value>``. ``o<k>`` is one namespace per
   operation, so a queue that CreateQueue made is never the target of SubmitJobs,
   UpdateQueue or DeleteQueue: those only ever meet names that do not exist.
   Job ids carry the prefix too, so they can never equal a real job id.
2. A case whose addressing value is not a string (a negative case can make ``name``
   a number) is not sent at all: a lenient server might coerce it to some real name.
3. Names sent in a call that was answered 2xx are added to the run's created queues
   and job sets, so the run's cleanup deletes or cancels whatever was made.
4. Streams are left out (a generated ``watch: true`` never ends; a line-delimited body
   is not one JSON document); ``SWAGGER-ResponsesMatch`` validates stream lines.
5. Every call has the target's per-call timeout; examples are capped per operation
   (fewer for SubmitJobs, whose pod-spec schemas are slow to generate), no shrinking,
   derandomized, and the run stops starting operations after ``FUZZ_BUDGET_S``.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor

import protos
from conformance.checks import CheckFailed, Skip, family
from conformance.context import HOLD_CPU, RunContext, tiny_job
from conformance.profiles import all_methods, methods, profiles_of, rest_bound
from conformance.results import Severity

FD = descriptor.FieldDescriptor
SWAGGER_PATH = "/api/swagger.json"
_TEMPLATE = re.compile(r"\{([^}=]+)(?:=[^}]*)?\}")

# The type table of the wire facts: proto type -> (swagger type, format or None: not fixed by the facts).
SCALAR_FACTS: dict[int, tuple[str, str | None]] = {
    FD.TYPE_DOUBLE: ("number", "double"), FD.TYPE_FLOAT: ("number", None),
    FD.TYPE_INT64: ("integer", "int64"), FD.TYPE_SINT64: ("integer", "int64"), FD.TYPE_SFIXED64: ("integer", "int64"),
    FD.TYPE_UINT64: ("integer", None), FD.TYPE_FIXED64: ("integer", None),
    FD.TYPE_INT32: ("integer", "int32"), FD.TYPE_SINT32: ("integer", "int32"), FD.TYPE_SFIXED32: ("integer", "int32"),
    FD.TYPE_UINT32: ("integer", None), FD.TYPE_FIXED32: ("integer", None),
    FD.TYPE_BOOL: ("boolean", None), FD.TYPE_STRING: ("string", None), FD.TYPE_BYTES: ("string", "byte"),
}
WELL_KNOWN: dict[str, tuple[str, str | None]] = {
    "google.protobuf.Timestamp": ("string", "date-time"), "google.protobuf.Duration": ("string", None),
}
EMPTY = "google.protobuf.Empty"

# The schemathesis run: examples per operation and mode, and a wall-clock budget.
FUZZ_EXAMPLES = {"positive": 5, "negative": 4}
FUZZ_HEAVY = {"SubmitJobs": 2}     # one pod-spec case takes about a second to generate
FUZZ_BUDGET_S = 20.0
ADDRESSING = ("name", "queue", "jobSetId", "id", "jobId", "jobIds")


# ---- what our protos say about each REST-bound method ---------------------------------


@dataclass(frozen=True)
class Binding:
    """One REST-bound method as the ``google.api.http`` rule in our protos binds it."""

    method: str                      # "Submit/GetQueue"
    name: str                        # "GetQueue"
    verb: str                        # "get"
    path: str                        # swagger form: "/v1/queue/{name}"
    body: str
    path_params: tuple[str, ...]
    input: descriptor.Descriptor
    output: descriptor.Descriptor
    streaming: bool

    @property
    def where(self) -> str:
        return f"{self.verb.upper()} {self.path}"


def binding(method: str) -> Binding:
    service, name = method.split("/")
    desc = protos.method(f"api.{service}", name)
    rule = protos.http_binding(desc)
    assert rule is not None, f"{method} has no REST binding"
    return Binding(method, name, rule.verb.lower(), _TEMPLATE.sub(r"{\1}", rule.path), rule.body,
                   tuple(_TEMPLATE.findall(rule.path)), desc.input_type, desc.output_type, desc.server_streaming)


def profile_bindings(ctx: RunContext) -> list[Binding]:
    """The REST-bound methods of the run's profile."""
    return [binding(m) for m in methods(ctx.target.profile) if rest_bound(m)]


def _def_name(desc: descriptor.Descriptor) -> str:
    """The definition name grpc-gateway v1 gives a top-level ``api`` message: ``api<Message>``."""
    return "api" + desc.name


# ---- fetching the document once per run ---------------------------------------------


@dataclass
class _Fetched:
    status: int
    content_type: str
    text: str
    document: Any


def _fetch(ctx: RunContext) -> _Fetched:
    """GET the swagger once per run (every SWAGGER check reads the same document)."""
    if ctx.swagger_fetched is None:
        rest = ctx.require_rest()
        try:
            result = rest.raw("GET", SWAGGER_PATH, headers=ctx.headers())
        except Exception as exc:  # refused, timed out: the endpoint did not answer
            raise CheckFailed(f"GET {SWAGGER_PATH} did not answer: {exc}",
                              {"url": rest.base_url + SWAGGER_PATH}) from None
        content_type = next((v for k, v in result.headers.items() if k.lower() == "content-type"), "")
        ctx.swagger_fetched = _Fetched(result.status, content_type, result.text, result.body)
    fetched: _Fetched = ctx.swagger_fetched
    return fetched


def document(ctx: RunContext) -> dict[str, Any]:
    """The served swagger as a JSON object, or a failure saying why there is none to check."""
    fetched = _fetch(ctx)
    if fetched.status != 200 or not isinstance(fetched.document, dict):
        raise CheckFailed(f"no swagger to check: GET {SWAGGER_PATH} answered HTTP {fetched.status} "
                          f"without a JSON object (see SWAGGER-Served)",
                          {"status": fetched.status, "body": fetched.text[:300]})
    return fetched.document


def operation(doc: dict[str, Any], b: Binding) -> dict[str, Any] | None:
    found = (doc.get("paths") or {}).get(b.path, {})
    op = found.get(b.verb) if isinstance(found, dict) else None
    return op if isinstance(op, dict) else None


def resolve(doc: dict[str, Any], schema: Any) -> tuple[str | None, Any]:
    """Follow ``$ref`` chains; (the last definition name or None, the schema it names)."""
    name, seen = None, set()
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/definitions/") or ref in seen:
            return name, None
        seen.add(ref)
        name = ref.removeprefix("#/definitions/")
        schema = (doc.get("definitions") or {}).get(name)
    return name, schema


# ---- SWAGGER-Served, SWAGGER-Valid ------------------------------------------------------


@family("SWAGGER-Served", "SWAGGER", "GET /api/swagger.json answers HTTP 200 with a JSON object "
        "(Content-Type application/json)")
def served(ctx: RunContext) -> None:
    fetched = _fetch(ctx)
    evidence = {"status": fetched.status, "content_type": fetched.content_type, "body": fetched.text[:300]}
    if fetched.status != 200:
        raise CheckFailed(f"GET {SWAGGER_PATH} answered HTTP {fetched.status}", evidence)
    if not fetched.content_type.split(";")[0].strip().lower() == "application/json":
        raise CheckFailed(f"GET {SWAGGER_PATH} answered Content-Type {fetched.content_type!r}, "
                          "not application/json", evidence)
    if not isinstance(fetched.document, dict):
        raise CheckFailed(f"GET {SWAGGER_PATH} is not a JSON object", evidence)


@family("SWAGGER-Valid", "SWAGGER", "the served document is valid Swagger 2.0 (openapi-spec-validator)")
def valid(ctx: RunContext) -> None:
    from openapi_spec_validator import OpenAPIV2SpecValidator

    doc = document(ctx)
    if doc.get("swagger") != "2.0":
        raise CheckFailed(f"the document declares swagger {doc.get('swagger')!r}, not \"2.0\"",
                          {"swagger": doc.get("swagger"), "openapi": doc.get("openapi")})
    errors = list(OpenAPIV2SpecValidator(doc).iter_errors())
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(document root)"
        raise CheckFailed(f"not valid Swagger 2.0 at {where}: {first.message.splitlines()[0]}",
                          {"errors": [f"{'/'.join(str(p) for p in e.path)}: {e.message.splitlines()[0]}"
                                      for e in errors[:10]], "count": len(errors)})


# ---- SWAGGER-Documents-<Method> -----------------------------------------------------------


def _documents_rows() -> list[dict[str, Any]]:
    return [{"method": m, "name": m.split("/")[1], "transport": "rest"} for m in all_methods() if rest_bound(m)]


def _scalar_problems(field_desc: FD, param: dict[str, Any], what: str) -> list[str]:
    """A path or query parameter's type against the facts (enums: strings with their names)."""
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
        p = path_params.get(name)
        if p is None:
            problems.append(f"path parameter {name} is not documented")
            continue
        if p.get("required") is not True:
            problems.append(f"path parameter {name} is not marked required")
        field_desc = protos.field_by_path(b.input, name)
        if field_desc is not None:
            problems += _scalar_problems(field_desc, p, f"path parameter {name}")
    problems += [f"path parameter {n} is not in the path template" for n in path_params if n not in b.path_params]
    body = by_place.get("body", {})
    if b.body == "*":
        if len(body) != 1:
            problems.append(f"body:\"*\" needs exactly one body parameter; the swagger has {len(body)}")
        else:
            schema = next(iter(body.values())).get("schema") or {}
            expected = f"#/definitions/{_def_name(b.input)}"
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
            p = query.get(f.name) or query.get(f.json_name)
            if p is None:
                problems.append(f"query parameter {f.name} is not documented")
            else:
                problems += _scalar_problems(f, p, f"query parameter {f.name}")
    return problems


@family("SWAGGER-Documents-{name}", "SWAGGER", "the swagger documents {method} as its HTTP rule says: path, "
        "verb, operationId {name}, path/body/query parameters", _documents_rows(),
        profiles=lambda row: profiles_of(row["method"]))
def documents(ctx: RunContext, method: str, name: str, transport: str) -> None:
    b = binding(method)
    problems = documents_problems(document(ctx), b)
    if problems:
        raise CheckFailed(f"{b.where} ({method}): {problems[0]}", {"problems": problems, "rule": b.where,
                                                                    "body": b.body})


# ---- SWAGGER-Definitions ------------------------------------------------------------------


@dataclass
class _DefinitionsWalk:
    """Compares definitions with descriptors, each message once, collecting problems."""

    doc: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def message(self, desc: descriptor.Descriptor, schema: Any, where: str) -> None:
        name, resolved = resolve(self.doc, schema)
        label = name or where
        if resolved is None:
            self.problems.append(f"{where}: {schema.get('$ref') if isinstance(schema, dict) else schema} "
                                 "names no definition")
            return
        if not desc.full_name.startswith("api.") or label in self.seen:
            return  # Kubernetes types: resolving is enough (the facts only sketch them)
        self.seen.add(label)
        if resolved.get("type", "object") != "object":
            self.problems.append(f"{label} ({desc.full_name}) has type {resolved.get('type')!r}, not object")
            return
        properties = resolved.get("properties") or {}
        for f in desc.fields:
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
                self.problems.append(f"{where} is a map: type object with additionalProperties; "
                                     f"the swagger says {_short(schema)}")
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
            full = f.message_type.full_name
            if full in WELL_KNOWN:
                self.scalar(WELL_KNOWN[full], schema, where)
            elif full != EMPTY:
                self.message(f.message_type, schema, where)
            return
        if f.type == FD.TYPE_ENUM:
            self.enum(f.enum_type, schema, where)
            return
        self.scalar(SCALAR_FACTS[f.type], schema, where)

    def scalar(self, fact: tuple[str, str | None], schema: Any, where: str) -> None:
        _, resolved = resolve(self.doc, schema)
        expected_type, expected_format = fact
        if not isinstance(resolved, dict) or resolved.get("type") != expected_type or (
                expected_format and resolved.get("format") != expected_format):
            want = expected_type + (f"/{expected_format}" if expected_format else "")
            self.problems.append(f"{where} should be {want}; the swagger says {_short(resolved)}")

    def enum(self, desc: descriptor.EnumDescriptor, schema: Any, where: str) -> None:
        _, resolved = resolve(self.doc, schema)
        names = [v.name for v in desc.values]
        if not isinstance(resolved, dict) or resolved.get("type") != "string" or \
                sorted(resolved.get("enum") or []) != sorted(names):
            self.problems.append(f"{where} is the enum {desc.full_name}: type string with enum {names}; "
                                 f"the swagger says {_short(resolved)}")


def _short(schema: Any) -> str:
    text = json.dumps(schema, sort_keys=True) if schema is not None else "nothing"
    return text if len(text) <= 160 else text[:157] + "..."


def definitions_problems(doc: dict[str, Any], bindings: list[Binding]) -> list[str]:
    walk = _DefinitionsWalk(doc)
    for b in bindings:
        op = operation(doc, b)
        if op is None:
            continue  # undocumented operations are SWAGGER-Documents' finding
        response = (op.get("responses") or {}).get("200")
        schema = response.get("schema") if isinstance(response, dict) else None
        where = f"{b.where} 200"
        if b.output.full_name == EMPTY:
            if schema not in (None, {}, {"type": "object"}):
                walk.problems.append(f"{where}: {b.name} returns Empty, so an empty schema; "
                                     f"the swagger says {_short(schema)}")
            continue
        expected = {"$ref": f"#/definitions/{_def_name(b.output)}"}
        if b.streaming:
            properties = (schema or {}).get("properties") or {} if isinstance(schema, dict) else {}
            if "error" not in properties:
                walk.problems.append(f"{where}: a stream result documents no 'error' property")
            schema, where = properties.get("result"), where + " result"
        if schema != expected:
            walk.problems.append(f"{where}: the response schema should be {expected}; the swagger says "
                                 f"{_short(schema)}")
            if not isinstance(schema, dict):
                continue
        walk.message(b.output, schema, where)
    return walk.problems


@family("SWAGGER-Definitions", "SWAGGER", "the api<Message> definitions of the documented responses exist and "
        "their properties (JSON names) and types agree with the wire facts")
def definitions(ctx: RunContext) -> None:
    problems = definitions_problems(document(ctx), profile_bindings(ctx))
    if problems:
        raise CheckFailed(f"{problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                          {"problems": problems[:30]})


# ---- real answers: shared by SWAGGER-ResponsesMatch and SWAGGER-EnumsAsNames ------------


@dataclass
class Sample:
    """One real REST answer: which method gave it, with what status, and its JSON."""

    label: str
    method: str
    status: int
    body: Any
    stream_line: bool = False


SAMPLE_QUEUE = {"priorityFactor": 2, "userOwners": ["conformance-owner"], "groupOwners": ["conformance-group"],
                "permissions": [{"subjects": [{"kind": "Group", "name": "conformance-group"}], "verbs": ["watch"]}],
                "resourceLimits": {"cpu": 0.5}, "labels": {"team": "conformance"}}


def _sample_job() -> dict[str, Any]:
    """A job that stays queued and carries a non-zero enum (ServiceType Headless) into its events."""
    return {**tiny_job(HOLD_CPU), "labels": {"team": "conformance"},
            "services": [{"type": "Headless", "ports": [8080]}]}


def samples(ctx: RunContext) -> list[Sample]:
    """Real answers of the run's own objects, gathered once per run (a failure is remembered)."""
    if ctx.swagger_samples is None:
        try:
            ctx.swagger_samples = _gather(ctx)
        except Exception as exc:
            ctx.swagger_samples = exc
    found = ctx.swagger_samples
    if isinstance(found, Exception):
        raise found
    return found


def _gather(ctx: RunContext) -> list[Sample]:
    rest = ctx.require_rest()
    ctx.require_mutation()
    wanted = set(methods(ctx.target.profile))
    out: list[Sample] = []

    def unary(label: str, method: str, request: dict[str, Any], expect_ok: bool) -> Any:
        """One answer; an error is expected as any 4xx/5xx (which status is PARITY's business)."""
        result = rest.call(f"api.{method}", request, headers=ctx.headers())
        if result.status == 501:
            return None
        if (result.status == 200) != expect_ok or result.status < 200:
            raise CheckFailed(f"could not gather a sample answer: {label} answered HTTP {result.status}",
                              {"request": request, "body": result.text[:500]})
        out.append(Sample(label, method, result.status, result.body))
        return result.body

    queue = ctx.create_queue(**SAMPLE_QUEUE)
    if "Submit/GetQueue" in wanted:
        unary("GetQueue of a run-created queue", "Submit/GetQueue", {"name": queue}, True)
        unary("GetQueue of an absent queue (error body)", "Submit/GetQueue", {"name": ctx.name("absent")}, False)
    job_set = ctx.name("js")
    ctx.created_job_sets.append((queue, job_set))
    unary("SubmitJobs of a held job", "Submit/SubmitJobs",
          {"queue": queue, "jobSetId": job_set, "jobRequestItems": [_sample_job()]}, True)
    seen = ctx.wait_for(queue, job_set, lambda kinds: "queued" in kinds, timeout=3)
    if "Submit/GetQueueInfo" in wanted:
        unary("GetQueueInfo of the queue", "Submit/GetQueueInfo", {"name": queue}, True)
    # read as many lines as gRPC showed events: a stream that fails to end is SEMANTICS' finding, not ours
    events = rest.stream("api.Event/GetJobSetEvents", {"queue": queue, "id": job_set, "watch": False},
                         headers=ctx.headers(), limit=max(1, len(seen)))
    if events.status != 200 or not events.lines:
        raise CheckFailed(f"could not gather a sample answer: GetJobSetEvents answered HTTP {events.status} "
                          f"with {len(events.lines)} lines", {"body": events.text[:500]})
    out += [Sample(f"GetJobSetEvents line {n + 1}", "Event/GetJobSetEvents", 200, line, stream_line=True)
            for n, line in enumerate(events.lines)]
    missing = rest.stream("api.Event/GetJobSetEvents", {"queue": ctx.name("absent"), "id": "js",
                                                        "errorIfMissing": True}, headers=ctx.headers())
    if missing.status != 200:
        out.append(Sample("GetJobSetEvents of an absent job set (error body)", "Event/GetJobSetEvents",
                          missing.status, missing.body))
    return out


def response_schema(doc: dict[str, Any], sample: Sample) -> tuple[str, Any] | None:
    """(where, schema) the swagger documents for a sample's answer; None if the operation is undocumented."""
    b = binding(sample.method)
    op = operation(doc, b)
    if op is None:
        return None
    responses = op.get("responses") or {}
    key = str(sample.status) if str(sample.status) in responses else "default"
    response = responses.get(key)
    if not isinstance(response, dict):
        return f"{b.where} {key}", None
    return f"{b.where} {key}", response.get("schema", {})


def _closed(schema: Any) -> Any:
    """A copy read as the facts mean it: documented objects closed, enums also as numbers."""
    if isinstance(schema, list):
        return [_closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (_closed(v) if k in ("properties", "items", "additionalProperties", "allOf", "anyOf")
               else v) for k, v in schema.items()}
    if "properties" in out:
        out["properties"] = {k: _closed(v) for k, v in schema["properties"].items()}
        out.setdefault("additionalProperties", False)
    if schema.get("type") == "string" and "enum" in schema:
        return {"anyOf": [out, {"type": "integer"}]}
    return out


def _validator(doc: dict[str, Any], schema: Any) -> Any:
    import jsonschema

    definitions = {k: _closed(v) for k, v in (doc.get("definitions") or {}).items()}
    return jsonschema.Draft4Validator({**_closed(schema), "definitions": definitions})


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@family("SWAGGER-ResponsesMatch", "SWAGGER", "real REST answers (a queue, a submission, event stream lines, "
        "error bodies) validate against the swagger's documented response schemas", mutating=True)
def responses_match(ctx: RunContext) -> None:
    doc = document(ctx)
    checked = []
    for sample in samples(ctx):
        found = response_schema(doc, sample)
        if found is None:
            continue
        where, schema = found
        if schema is None:
            raise CheckFailed(f"{sample.label}: HTTP {sample.status} has no documented response ({where})",
                              {"answer": sample.body})
        errors = sorted(_validator(doc, schema).iter_errors(sample.body), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            path = _json_path(first.absolute_path)
            raise CheckFailed(f"{sample.label} does not match {where} at {path}: {first.message[:300]}",
                              {"path": path, "answer": sample.body, "schema_path": list(first.absolute_schema_path),
                               "errors": len(errors)})
        checked.append(sample.label)
    if not checked:
        raise Skip("no sample answer has a documented operation")


# ---- SWAGGER-EnumsAsNames ------------------------------------------------------------------


def enum_values(doc: dict[str, Any], value: Any, schema: Any, path: str = "$",
                depth: int = 0) -> Iterator[tuple[str, Any, list[str]]]:
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


@family("SWAGGER-EnumsAsNames", "SWAGGER", "REST answers write enums as their names, as the swagger promises "
        "(real Armada writes numbers: a deviation from its own contract)", mutating=True,
        severity=Severity.RECOMMENDED)
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
        raise CheckFailed(f"{first['answer']} writes the enum at {first['path']} as {first['value']!r}, "
                          f"not one of its names {first['names']}", {"enums": wrong[:20]})
    if not seen:
        raise Skip("no answer carried an enum value to judge")


# ---- SWAGGER-Schemathesis ------------------------------------------------------------------


class Unsafe(Exception):
    """A generated case addresses something this run cannot prove it owns: it is not sent."""


@dataclass
class Confinement:
    """Rewrites every addressing value of a case into a run-owned, per-operation namespace."""

    base: str                                      # "<prefix>-<run id>-fz-<n>"
    queues: set[str] = field(default_factory=set)
    job_sets: set[tuple[str, str]] = field(default_factory=set)

    def namespace(self, index: int) -> str:
        return f"{self.base}-o{index}-"

    def confine(self, case: Any, index: int) -> list[str]:
        """Rewrite the case in place; return the queue names it now addresses (raises ``Unsafe``)."""
        space = self.namespace(index)
        for key in list(case.path_parameters or {}):
            case.path_parameters[key] = self._owned(space, case.path_parameters[key], key)
        body = case.body
        if isinstance(body, dict):
            for key in ADDRESSING:
                if key in body:
                    body[key] = self._owned(space, body[key], key)
            if isinstance(body.get("queues"), list):
                for item in body["queues"]:
                    if isinstance(item, dict) and "name" in item:
                        item["name"] = self._owned(space, item["name"], "queues[].name")
        names = [v for k, v in (case.path_parameters or {}).items() if k in ("name", "queue")]
        if isinstance(body, dict):
            names += [body[k] for k in ("name", "queue") if isinstance(body.get(k), str)]
            names += [q["name"] for q in body.get("queues") or [] if isinstance(q, dict) and "name" in q]
        return names

    def _owned(self, space: str, value: Any, key: str) -> Any:
        if isinstance(value, str):
            return value if value.startswith(space) else space + value
        if key == "jobIds" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v if v.startswith(space) else space + v for v in value]
        raise Unsafe(f"{key} is {type(value).__name__}, not a string this run can own")

    def record(self, case: Any, names: list[str]) -> None:
        """A 2xx answer may have created something: remember it for the run's cleanup."""
        self.queues.update(names)
        body = case.body if isinstance(case.body, dict) else {}
        if isinstance(body.get("queue"), str) and isinstance(body.get("jobSetId"), str):
            self.job_sets.add((body["queue"], body["jobSetId"]))


def _fuzz_operations(doc: dict[str, Any], ctx: RunContext) -> list[str]:
    """operationIds of the documented unary methods of the profile that the target offers.

    Streams are left out; a method answering UNIMPLEMENTED is "not offered" (SURFACE says so),
    so its 501s are not schemathesis findings.
    """
    return [b.name for b in profile_bindings(ctx)
            if not b.streaming and operation(doc, b) is not None and ctx.offered(b.method)]


def _nothing_to_negate(op: dict[str, Any]) -> bool:
    """Only string path parameters: no input can violate the schema (hypothesis finds none)."""
    params = [p for p in op.get("parameters") or [] if isinstance(p, dict)]
    return all(p.get("in") == "path" and p.get("type") == "string" for p in params)


@dataclass
class FuzzStats:
    """What one schemathesis run did (kept per run for the project's own tests)."""

    sent: int = 0
    not_sent: int = 0                      # confinement could not prove the case run-owned
    over_budget: int = 0                   # generated after FUZZ_BUDGET_S: not sent
    operations: list[str] = field(default_factory=list)
    addressed: set[str] = field(default_factory=set)   # every queue name a sent case addressed


@family("SWAGGER-Schemathesis", "SWAGGER", "a bounded schemathesis run over the documented unary operations "
        "(names confined to the run's prefix): conforming answers, no 5xx, invalid input refused with 4xx",
        mutating=True)
def schemathesis_run(ctx: RunContext) -> None:
    import schemathesis
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import negative_data_rejection, not_a_server_error, response_schema_conformance

    ctx.require_rest()
    ctx.require_mutation()
    doc = document(ctx)
    try:
        loaded = {}
        for result in schemathesis.openapi.from_dict(copy.deepcopy(doc)).get_all_operations():
            op = result.ok()
            loaded[op.definition.raw.get("operationId")] = op
    except Exception as exc:
        raise CheckFailed(f"schemathesis cannot load the swagger: {type(exc).__name__}: {exc}", {}) from None
    fuzz = _Fuzz(ctx, Confinement(ctx.name("fz")), time.monotonic() + FUZZ_BUDGET_S)
    ctx.swagger_fuzz_stats = fuzz.stats
    modes = [(GenerationMode.POSITIVE, [not_a_server_error, response_schema_conformance]),
             (GenerationMode.NEGATIVE, [not_a_server_error, negative_data_rejection])]
    try:
        for index, op_id in enumerate(_fuzz_operations(doc, ctx)):
            if op_id not in loaded:
                continue
            for mode, checks in modes:
                if time.monotonic() > fuzz.deadline or (
                        mode == GenerationMode.NEGATIVE and _nothing_to_negate(loaded[op_id].definition.raw)):
                    continue
                fuzz.stats.operations.append(f"{op_id} {mode.value}")
                try:
                    fuzz.test(loaded[op_id], index, mode, checks)()
                except Unsatisfiable:
                    continue
                except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
                    text = str(exc).strip()
                    raise CheckFailed(f"schemathesis: {op_id} ({mode.value} cases): {_headline(text)}",
                                      {"operation": op_id, "mode": mode.value, "failure": text[:3000],
                                       "sent": fuzz.stats.sent}) from None
    finally:  # whatever a 2xx answer may have created is the run's own: its cleanup removes it
        ctx.created_queues += sorted(q for q in fuzz.confinement.queues if q not in ctx.created_queues)
        ctx.created_job_sets += sorted(fuzz.confinement.job_sets)


def _headline(text: str) -> str:
    """The first finding of a schemathesis failure report ("ST101 Server error [500] ...")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    findings = [n for n, line in enumerate(lines) if line.startswith("- ")]
    if not findings:
        return lines[0][:300] if lines else "failed"
    n = findings[0]
    status = next((line for line in lines[n + 1:n + 3] if line.startswith("[")), "")
    return f"{lines[n][2:]} {status}".strip()[:300]


@dataclass
class _Fuzz:
    """One schemathesis run: where to send, how names are confined, when time is up."""

    ctx: RunContext
    confinement: Confinement
    deadline: float
    stats: FuzzStats = field(default_factory=FuzzStats)

    def test(self, api_op: Any, index: int, mode: Any, checks: list[Any]) -> Callable[[], None]:
        """The hypothesis test of one operation and mode: confine, send, record, validate."""
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings

        op_id = api_op.definition.raw.get("operationId")
        examples = min(FUZZ_EXAMPLES[mode.value], FUZZ_HEAVY.get(op_id, FUZZ_EXAMPLES[mode.value]))
        rest = self.ctx.require_rest()

        @given(case=api_op.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                  verbosity=Verbosity.quiet, report_multiple_bugs=False)
        def run(case: Any) -> None:
            if time.monotonic() > self.deadline:
                self.stats.over_budget += 1
                return
            try:
                names = self.confinement.confine(case, index)
            except Unsafe:
                self.stats.not_sent += 1
                return
            _ = case.meta  # re-judge the case's positive/negative label after the rewrite
            self.stats.sent += 1
            self.stats.addressed.update(names)
            response = case.call(base_url=rest.base_url, session=rest.session, headers=self.ctx.headers(),
                                 timeout=self.ctx.target.timeout)
            if 200 <= response.status_code < 300:
                self.confinement.record(case, names)
            case.validate_response(response, checks=checks)

        return run
