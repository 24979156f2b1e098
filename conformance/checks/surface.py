"""SURFACE: does each method of the profile answer at all, over each transport?

Each method is probed with a request built to be refused or harmless (names that
do not exist, empty batches), so the probes are safe on a real deployment and run
under --read-only. Any definite answer passes; UNIMPLEMENTED (HTTP 501, or the
gateway's plain ``404 Not Found`` of a route it does not have) is "not offered";
UNKNOWN, INTERNAL, UNAVAILABLE, a 5xx or a timeout fails.
"""

from __future__ import annotations

from typing import Any

from conformance import cases
from conformance.checks import CheckFailed, NotOffered, Skip, changes_state, family
from conformance.context import RunContext
from conformance.dialects import response_type
from conformance.eras import all_methods, descriptor_of, is_streaming, rest_bound, wire
from conformance.transport.grpc_client import GrpcResult
from conformance.transport.rest_client import RestResult
from conformance.transport.rest_reply import not_served, not_served_reason

BROKEN_CODES = frozenset({"UNKNOWN", "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "DATA_LOSS"})
# Methods real Armada answers UNKNOWN (a raw error) for an absent queue (shared/armada-semantics.md: the queue
# cache's "not found" in internal/server/submit/submit.go, ErrQueueNotFound in queue_service.go's Cordon /
# Uncordon, v0.3.x submit_to_log.go): probed on a queue the run owns, so the answer is definite. How they
# refuse an absent queue is SEMANTICS-SubmitUnknownQueue's and SEMANTICS-AbsentQueue-*'s question.
ON_RUN_QUEUE = frozenset(
    {
        "SubmitJobs",
        "CancelJobs",
        "CancelJobSet",
        "ReprioritizeJobs",
        "PreemptJobs",
        "CordonQueue",
        "UncordonQueue",
        "GetQueueInfo",  # v0.3.x: its NOT_FOUND branch never matches (errors.Is on a nil pointer): UNKNOWN
    }
)


def _rows() -> list[dict[str, Any]]:
    rows = []
    for method in all_methods():
        rows.append({"method": method, "M": method.replace("/", "."), "transport": "grpc", "T": "GRPC"})
        if rest_bound(method):
            rows.append({"method": method, "M": method.replace("/", "."), "transport": "rest", "T": "REST"})
    return rows


@family(
    "SURFACE-{M}-{T}",
    "SURFACE",
    "{method} answers a well-formed request over {transport} "
    "with a definite status (UNIMPLEMENTED is reported as not offered)",
    _rows(),
    mutating=lambda row: changes_state(row["method"]),
)
def method_answers(ctx: RunContext, method: str, M: str, transport: str, T: str) -> None:
    request = cases.probe(method, _queue_for(ctx, method.split("/")[1]), ctx.target.jobs)
    if transport == "grpc":
        _grpc_answers(ctx, method, request)
    else:
        _rest_answers(ctx, method, request)


def _queue_for(ctx: RunContext, name: str) -> str:
    """The queue a probe of ``name`` names: a run-owned one for ON_RUN_QUEUE methods, else an absent one.

    Uncordon gets its own queue (the shared one keeps its held jobs queued). A target that cannot make a
    queue is asked with the absent name: its answer still tells a served method from one that is not.
    """
    if name not in ON_RUN_QUEUE:
        return ctx.name("absent")
    try:
        return ctx.create_queue() if name == "UncordonQueue" else ctx.probe_queue()
    except (RuntimeError, NotOffered):
        return ctx.name("absent")


def _grpc_answers(ctx: RunContext, method: str, request: dict[str, Any]) -> None:
    call = ctx.stream if is_streaming(method) else ctx.call
    kwargs = {"limit": 2} if is_streaming(method) else {}
    result = call(method, request, **kwargs)
    if result.code == "UNIMPLEMENTED":
        raise NotOffered(f"{method} answered UNIMPLEMENTED: {result.details}")
    if result.code in BROKEN_CODES:
        raise CheckFailed(
            f"{method} answered {result.code}: {result.details}",
            {"request": request, "code": result.code, "details": result.details},
        )
    if result.ok and _empty_where_armada_never_is(method, result):
        raise CheckFailed(
            f"{method} answered OK with an empty message, which Armada never sends for it",
            {"request": request, "messages": len(result.messages)},
        )


def _empty_where_armada_never_is(method: str, result: GrpcResult) -> bool:
    """Stream messages always carry something (an event, a queue, the end marker); so does Health's status."""
    if is_streaming(method):
        return not result.messages or any(m.ByteSize() == 0 for m in result.messages)
    return method.endswith("/Health") and result.response is not None and result.response.ByteSize() == 0


def _rest_answers(ctx: RunContext, method: str, request: dict[str, Any]) -> None:
    rest = ctx.require_rest()
    send = rest.stream if is_streaming(method) else rest.call
    kwargs = {"limit": 2} if is_streaming(method) else {}
    try:
        result = send(wire(method), request, headers=ctx.headers(), **kwargs)
    except Skip:
        raise  # e.g. the ledger refused to write a name the target has and the run does not own
    except Exception as exc:  # connection reset, timeout: the endpoint did not answer
        raise CheckFailed(f"{method} over REST did not answer: {exc}", {"request": request}) from None
    if not_served(result.status, result.body):
        raise NotOffered(f"{method} over REST {not_served_reason(result.status)}")
    evidence = {"request": request, "status": result.status, "body": result.text[:500]}
    if result.status >= 500:
        raise CheckFailed(f"{method} over REST answered HTTP {result.status}", evidence)
    problem = gateway_shape_problem(method, result)
    if problem:
        raise CheckFailed(
            f"{method} over REST answered HTTP {result.status}, but not as Armada's gateway does: {problem}", evidence
        )


def gateway_shape_problem(method: str, result: RestResult) -> str:
    """Why an answer is not in the gateway's result or error shape ("" when it is).

    Results: a JSON object whose keys are fields of the method's response message (a
    stream: lines of ``{"result": ...}``, maybe a last ``{"error": ...}``). Errors: the
    unary body ``{"error", "code", "message"}`` or the stream error line.
    """
    if result.status == 200 and is_streaming(method):
        if not result.lines or not all(
            isinstance(line, dict) and line and set(line) <= {"result", "error"} for line in result.lines
        ):
            return 'the body is not newline-delimited {"result": ...} lines'
        return ""
    body = result.body
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if result.status == 200:
        unknown = sorted(set(body) - response_keys(method))
        return f"keys {unknown} are not fields of {response_type(method)}" if unknown else ""
    stream_error = body.get("error") if isinstance(body.get("error"), dict) else None
    if stream_error is not None and isinstance(stream_error.get("grpc_code"), int):
        return ""
    if isinstance(body.get("code"), int) and isinstance(body.get("message"), str):
        return ""
    return "an error body without the gateway's integer code and message"


def response_keys(method: str) -> set[str]:
    """Every key a response of ``method`` may have in either JSON dialect (Go oneofs included)."""
    output = descriptor_of(method).output_type
    keys = {f.name for f in output.fields} | {f.json_name for f in output.fields}
    keys |= {o.name for o in output.oneofs} | {o.name[:1].upper() + o.name[1:] for o in output.oneofs}
    return keys
