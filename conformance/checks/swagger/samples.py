"""Real REST answers of the run's own objects, for SWAGGER-ResponsesMatch and SWAGGER-EnumsAsNames.

Gathered once per run: a run-created queue read back, a held job's submission, its job
set's event lines, and error bodies (an absent queue, an absent job set with
``errorIfMissing``). Only methods the judged release serves on REST are asked (no
GetQueueInfo from v0.4.20). A method answering 501 gives no sample; any other failure to
gather is remembered and reported by each check that needs the samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance import cases
from conformance.cases import RICH_QUEUE, sample_job
from conformance.checks import CheckFailed
from conformance.checks.swagger.document import operation
from conformance.checks.swagger.facts import binding
from conformance.context import RunContext, not_offered_over_rest
from conformance.eras import methods, wire


@dataclass
class Sample:
    """One real REST answer: which method gave it, with what status, and its JSON."""

    label: str
    method: str
    status: int
    body: Any


def samples(ctx: RunContext) -> list[Sample]:
    """Real answers of the run's own objects, gathered once per run (a failure is remembered)."""
    if ctx.swagger_samples is None:
        try:
            ctx.swagger_samples = _gather(ctx)
        except Exception as exc:
            ctx.swagger_samples = exc
    found: list[Sample] | Exception = ctx.swagger_samples
    if isinstance(found, Exception):
        raise found
    return found


def _gather(ctx: RunContext) -> list[Sample]:
    rest = ctx.require_rest()
    ctx.require_mutation()
    wanted = {m for m in methods(ctx.target.release) if ctx.target.release.serves(m, "rest")}
    out: list[Sample] = []

    def unary(label: str, method: str, request: dict[str, Any], expect_ok: bool) -> Any:
        """One answer; an error is expected as any 4xx/5xx (which status is PARITY's business)."""
        result = rest.call(wire(method), request, headers=ctx.headers())
        if not_offered_over_rest(result):
            return None  # not offered: SURFACE says so
        if (result.status == 200) != expect_ok or result.status < 200:
            raise CheckFailed(
                f"could not gather a sample answer: {label} answered HTTP {result.status}",
                {"request": request, "body": result.text[:500]},
            )
        out.append(Sample(label, method, result.status, result.body))
        return result.body

    queue = ctx.create_queue(**RICH_QUEUE)
    if "Submit/GetQueue" in wanted:
        unary("GetQueue of a run-created queue", "Submit/GetQueue", {"name": queue}, True)
        unary(
            "GetQueue of an absent queue (error body)",
            "Submit/GetQueue",
            cases.refused("Submit/GetQueue", ctx.name("absent")),
            False,
        )
    job_set = ctx.name("js")
    unary(
        "SubmitJobs of a job",
        "Submit/SubmitJobs",
        {"queue": queue, "jobSetId": job_set, "jobRequestItems": [sample_job(ctx.target.jobs)]},
        True,
    )
    seen = ctx.wait_for(queue, job_set, lambda kinds: "queued" in kinds, timeout=3)
    if "Submit/GetQueueInfo" in wanted:
        unary("GetQueueInfo of the queue", "Submit/GetQueueInfo", {"name": queue}, True)
    # read as many lines as gRPC showed events: a stream that fails to end is SEMANTICS' finding, not ours
    events = rest.stream(
        wire("Event/GetJobSetEvents"),
        {"queue": queue, "id": job_set, "watch": False},
        headers=ctx.headers(),
        limit=max(1, len(seen)),
    )
    if events.status != 200 or not events.lines:
        raise CheckFailed(
            f"could not gather a sample answer: GetJobSetEvents answered HTTP {events.status} "
            f"with {len(events.lines)} lines",
            {"body": events.text[:500]},
        )
    out += [
        Sample(f"GetJobSetEvents line {n + 1}", "Event/GetJobSetEvents", 200, line)
        for n, line in enumerate(events.lines)
    ]
    missing = rest.stream(
        wire("Event/GetJobSetEvents"), cases.refused("Event/GetJobSetEvents", ctx.name("absent")), headers=ctx.headers()
    )
    if missing.status != 200:
        out.append(
            Sample(
                "GetJobSetEvents of an absent job set (error body)",
                "Event/GetJobSetEvents",
                missing.status,
                missing.body,
            )
        )
    return out


def response_schema(doc: dict[str, Any], sample: Sample) -> tuple[str, Any] | None:
    """(where, schema) the swagger documents for a sample's answer; None if the operation is undocumented.

    A stream refused before its first message answers one line in the stream error form
    (``{"error": {...}}``, ``shared/real-armada.md``): that line is judged by the stream's
    documented line schema, as every other line of the stream.
    """
    b = binding(sample.method)
    op = operation(doc, b)
    if op is None:
        return None
    responses = op.get("responses") or {}
    stream_error = b.streaming and isinstance(sample.body, dict) and isinstance(sample.body.get("error"), dict)
    key = "200" if stream_error else str(sample.status) if str(sample.status) in responses else "default"
    response = responses.get(key)
    if not isinstance(response, dict):
        return f"{b.where} {key}", None
    return f"{b.where} {key}", response.get("schema", {})
