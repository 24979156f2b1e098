"""SWAGGER-Schemathesis: a bounded schemathesis run over the documented unary operations.

Positive cases must get schema-conforming answers and no 5xx; negative (schema-
violating) cases a 4xx, never a 5xx. Armada's ``type: file`` stream schemas (not
valid Swagger 2.0: SWAGGER-Valid's finding) are read as objects, so the document
loads; streams themselves are not fuzzed (``fuzzable``).

Safety of the run on a real deployment. It is ``mutating`` (skipped under
--read-only) and never addresses anything the run did not name:

1. Before a case is sent, every *addressing* value (path parameters and top-level
   body fields ``name``, ``queue``, ``jobSetId``, ``id``, ``jobId``, ``jobIds``,
   and ``queues[].name`` of the batch calls) is rewritten to
   ``<prefix>-<run id>-fz-<n>-o<k>-<generated value>``. ``o<k>`` is one namespace per
   operation, so a queue that CreateQueue made is never the target of SubmitJobs,
   UpdateQueue or DeleteQueue: those only ever meet names that do not exist.
   Job ids carry the prefix too, so they can never equal a real job id.
2. A case whose addressing value is not a string (a negative case can make ``name``
   a number) is not sent at all: a lenient server might coerce it to some real name.
3. Names a case addresses go into the run's ledger before it is sent (marked created
   on a 2xx answer), so the run's cleanup deletes or cancels whatever was made.
4. Streams are left out (a generated ``watch: true`` never ends; a line-delimited body
   is not one JSON document); ``SWAGGER-ResponsesMatch`` validates stream lines.
5. Every call has the target's per-call timeout; examples are capped per operation
   (fewer for SubmitJobs, whose pod-spec schemas are slow to generate), no shrinking,
   derandomized, and the run stops starting operations after ``FUZZ_BUDGET_S``.
   ``--max-examples``, ``--seed`` and ``--fuzz-budget`` change those three; a run the
   budget cut short still passes on what it sent, and its message says what was left.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.checks import CheckFailed, family
from conformance.checks.swagger.document import document, is_file_stream, operation
from conformance.checks.swagger.facts import enum_numbers, profile_bindings
from conformance.context import RunContext
from conformance.settings import FUZZ_BUDGET_S, FUZZ_EXAMPLES, FUZZ_HEAVY, FuzzSettings

__all__ = ["FUZZ_BUDGET_S", "FUZZ_EXAMPLES", "FUZZ_HEAVY", "FuzzSettings", "fuzzable", "schemathesis_run"]

ADDRESSING = ("name", "queue", "jobSetId", "id", "jobId", "jobIds")


def fuzzable(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of the document schemathesis can load and judge by what Armada's JSON really is.

    ``type: file`` stream responses become objects. Values real Armada writes in Go's
    dialect (``shared/real-armada.md``) are let through as its gateway also reads them:
    an enum as its name or its number, a date-time as a string or ``{"seconds", "nanos"}``
    (SWAGGER-EnumsAsNames' and SWAGGER-ResponsesMatch's business, not schemathesis').
    What both dialects accept although the swagger cannot say it is not a violation
    either: ``null`` for any field (proto3 JSON reads it as unset, Go's decoder as a
    no-op), and any JSON number for a double.
    """
    out = copy.deepcopy(doc)
    for item in (out.get("paths") or {}).values():
        for op in item.values() if isinstance(item, dict) else ():
            for response in (op.get("responses") or {}).values() if isinstance(op, dict) else ():
                if isinstance(response, dict) and is_file_stream(response.get("schema")):
                    response["schema"]["type"] = "object"
    out["definitions"] = {
        name: _nullable(_either_dialect(schema)) for name, schema in (out.get("definitions") or {}).items()
    }
    return out


def _nullable(schema: Any) -> Any:
    """Every typed schema (and every definition) also takes ``null``."""
    if isinstance(schema, list):
        return [_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (_nullable(v) if k in ("items", "additionalProperties") else v) for k, v in schema.items()}
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {k: _nullable(v) for k, v in schema["properties"].items()}
    return {**out, "x-nullable": True} if "$ref" not in out else out


def _either_dialect(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_either_dialect(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "string" and isinstance(schema.get("enum"), list):
        names = list(schema["enum"])
        return {k: v for k, v in schema.items() if k not in ("type", "enum", "default")} | {
            "enum": [*names, *enum_numbers(names)]
        }
    if schema.get("type") == "string" and schema.get("format") == "date-time":
        return {k: v for k, v in schema.items() if k not in ("type", "format")}
    if schema.get("type") == "number":
        return {k: v for k, v in schema.items() if k != "format"}
    return {k: (_either_dialect(v) if isinstance(v, dict | list) else v) for k, v in schema.items()}


# JSON's whitespace (RFC 8259 section 2): what Go's JSON decoder skips before it reports io.EOF.
_JSON_WHITESPACE = b" \t\r\n"


def reads_as_no_body(body: Any) -> bool:
    """A body of JSON whitespace only, which grpc-gateway reads as no body at all.

    Its generated handlers decode the body and accept ``io.EOF``, so real Armada sends
    the empty request and answers as for one; such a negative case proves nothing and
    is not sent (judging it would fail a stock Armada release).
    """
    if isinstance(body, str):
        body = body.encode()
    return isinstance(body, bytes) and not body.strip(_JSON_WHITESPACE)


class Unsafe(Exception):
    """A generated case addresses something this run cannot prove it owns: it is not sent."""


@dataclass
class Confinement:
    """Rewrites every addressing value of a case into a run-owned, per-operation namespace."""

    base: str  # "<prefix>-<run id>-fz-<n>"
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
            queues = body.get("queues")  # a negative case may make it anything: only a list names queues
            if isinstance(queues, list):
                names += [q["name"] for q in queues if isinstance(q, dict) and "name" in q]
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
    return [
        b.name
        for b in profile_bindings(ctx)
        if not b.streaming and operation(doc, b) is not None and ctx.offered(b.method)
    ]


def _nothing_to_negate(op: dict[str, Any]) -> bool:
    """Only string path parameters: no input can violate the schema (hypothesis finds none)."""
    params = [p for p in op.get("parameters") or [] if isinstance(p, dict)]
    return all(p.get("in") == "path" and p.get("type") == "string" for p in params)


@dataclass
class FuzzStats:
    """What one schemathesis run did (kept per run for the project's own tests)."""

    sent: int = 0
    over_budget: int = 0  # generated after FUZZ_BUDGET_S: not sent
    operations: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  # operation/mode runs the budget left unstarted
    addressed: set[str] = field(default_factory=set)  # every queue name a sent case addressed


@family(
    "SWAGGER-Schemathesis",
    "SWAGGER",
    "a bounded schemathesis run over the documented unary operations "
    "(names confined to the run's prefix): conforming answers, no 5xx, invalid input refused with 4xx",
    mutating=True,
    source="pkg/api/api.swagger.json",
)
def schemathesis_run(ctx: RunContext) -> str | None:
    import schemathesis
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import negative_data_rejection, not_a_server_error, response_schema_conformance
    from schemathesis.core.result import Err

    ctx.require_rest()
    ctx.require_mutation()
    doc = document(ctx)
    wanted = _fuzz_operations(doc, ctx)
    loaded: dict[str, Any] = {}
    unloadable: dict[str, str] = {}
    try:
        for result in schemathesis.openapi.from_dict(fuzzable(doc)).get_all_operations():
            if isinstance(result, Err):  # one operation schemathesis cannot read: the others still run
                unloadable[str(result.err())[:60]] = _headline(str(result.err()))
                continue
            op = result.ok()
            loaded[op.definition.raw.get("operationId")] = op
    except Exception as exc:
        raise CheckFailed(f"schemathesis cannot load the swagger: {type(exc).__name__}: {exc}", {}) from None
    missing = [op_id for op_id in wanted if op_id not in loaded]
    if missing and unloadable:
        raise CheckFailed(
            f"schemathesis cannot load the operations {', '.join(missing)}: {next(iter(unloadable.values()))}",
            {"errors": list(unloadable.values())[:5]},
        )
    settings = ctx.settings.fuzz
    fuzz = _Fuzz(ctx, Confinement(ctx.name("fz")), time.monotonic() + settings.budget_s, settings)
    ctx.swagger_fuzz_stats = fuzz.stats
    modes = [
        (GenerationMode.POSITIVE, [not_a_server_error, response_schema_conformance]),
        (GenerationMode.NEGATIVE, [not_a_server_error, negative_data_rejection]),
    ]
    try:
        for index, op_id in enumerate(wanted):
            if op_id not in loaded:
                continue
            for mode, checks in modes:
                if mode == GenerationMode.NEGATIVE and _nothing_to_negate(loaded[op_id].definition.raw):
                    continue
                if time.monotonic() > fuzz.deadline:
                    fuzz.stats.cut.append(f"{op_id} {mode.value}")
                    continue
                fuzz.stats.operations.append(f"{op_id} {mode.value}")
                try:
                    fuzz.test(loaded[op_id], index, mode, checks)()
                except Unsatisfiable:
                    continue
                except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
                    text = str(exc).strip()
                    seeded = f", seed {settings.seed}" if settings.seed is not None else ""
                    raise CheckFailed(
                        f"schemathesis: {op_id} ({mode.value} cases{seeded}): {_headline(text)}",
                        {
                            "operation": op_id,
                            "mode": mode.value,
                            "failure": text[:3000],
                            "sent": fuzz.stats.sent,
                            "seed": settings.seed,
                        },
                    ) from None
    finally:  # whatever a 2xx answer created is the run's own (already in the ledger: marked created)
        for queue in sorted(fuzz.confinement.queues):
            ctx.ledger.queue(queue, created=True)
        for queue, job_set in sorted(fuzz.confinement.job_sets):
            ctx.ledger.job_set(queue, job_set, created=True)
    return budget_note(fuzz.stats, settings)


def budget_note(stats: FuzzStats, settings: FuzzSettings) -> str | None:
    """What the time budget left out, for the check's message (None: it covered everything)."""
    if not stats.cut and not stats.over_budget:
        return None
    runs = len(stats.cut) + len(stats.operations)
    return (
        f"the time budget of {settings.budget_s:g} s cut the run short: {len(stats.cut)} of {runs} "
        f"operation/mode runs not started, {stats.over_budget} generated case(s) not sent; it passed on the "
        f"{stats.sent} case(s) it sent (--fuzz-budget raises the budget)"
    )


def _headline(text: str) -> str:
    """The first finding of a schemathesis failure report ("ST101 Server error [500] ...")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    findings = [n for n, line in enumerate(lines) if line.startswith("- ")]
    if not findings:
        return lines[0][:300] if lines else "failed"
    n = findings[0]
    status = next((line for line in lines[n + 1 : n + 3] if line.startswith("[")), "")
    return f"{lines[n][2:]} {status}".strip()[:300]


@dataclass
class _Fuzz:
    """One schemathesis run: where to send, how names are confined, when time is up."""

    ctx: RunContext
    confinement: Confinement
    deadline: float
    settings: FuzzSettings = field(default_factory=FuzzSettings)
    stats: FuzzStats = field(default_factory=FuzzStats)

    def test(self, api_op: Any, index: int, mode: Any, checks: list[Any]) -> Callable[[], None]:
        """The hypothesis test of one operation and mode: confine, send, record, validate."""
        from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings

        op_id = api_op.definition.raw.get("operationId")
        examples = self.settings.examples(mode.value, op_id)
        rest = self.ctx.require_rest()

        # derandomize=True derives the cases from this function's source (decorators included), so this
        # text is part of the default cases; a --seed (hypothesis.seed) takes precedence over it.
        @given(case=api_op.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
        )
        def run(case: Any) -> None:
            if time.monotonic() > self.deadline:
                self.stats.over_budget += 1
                return
            if reads_as_no_body(case.body):
                return
            try:
                names = self.confinement.confine(case, index)
            except Unsafe:  # confinement could not prove the case run-owned: not sent
                return
            _ = case.meta  # re-judge the case's positive/negative label after the rewrite
            self.stats.sent += 1
            self.stats.addressed.update(names)
            self._record(case, names)  # before it is sent: an interruption must not lose what it creates
            response = case.call(
                base_url=rest.base_url,
                session=rest.session,
                headers=self.ctx.headers(),
                timeout=self.ctx.target.timeout,
            )
            if 200 <= response.status_code < 300:
                self.confinement.record(case, names)
            case.validate_response(response, checks=checks)

        return run if self.settings.seed is None else seed(self.settings.seed)(run)

    def _record(self, case: Any, names: list[str]) -> None:
        """Every name a case addresses goes into the run's ledger (all are run-owned: see ``Confinement``)."""
        for name in names:
            self.ctx.ledger.queue(name)
        body = case.body if isinstance(case.body, dict) else {}
        if isinstance(body.get("queue"), str) and isinstance(body.get("jobSetId"), str):
            self.ctx.ledger.job_set(body["queue"], body["jobSetId"])
