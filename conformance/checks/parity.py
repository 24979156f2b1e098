"""PARITY: gRPC and REST are one API. Same results, same failures, same event sequences.

Each REST-bound method has a scenario that does the same thing once per transport
and returns what to compare: ``Same`` (one object read twice: equal exactly) or
``Alike`` (two separate objects made the same way: equal once volatile fields such as
ids and names are masked). Failures compare the gRPC code with the gateway's status
mapping and v1 error body. REST JSON is read in either dialect (``dialects.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from conformance import cases
from conformance.cases import RICH_QUEUE
from conformance.checks import CheckFailed, NotOffered, Registry, changes_state, family
from conformance.context import RunContext, not_offered_over_rest
from conformance.dialects import GRPC_CODE_NUMBER, HTTP_STATUS, DialectError, as_dict, masked, parse, response_type
from conformance.eras import wire
from conformance.transport.grpc_client import GrpcResult
from conformance.transport.rest_client import RestResult
from conformance.transport.rest_reply import not_served_reason

VOLATILE = frozenset({"name", "jobId", "id", "created", "cancelledIds", "jobSetId", "kubernetesId", "podName"})


@dataclass
class Pair:
    """What one scenario produced over each transport, and how to compare it."""

    method: str
    grpc: Any  # a message, or a list of messages (streams), or a GrpcResult on failure
    rest: Any  # the REST JSON (object or list of stream results), or a RestResult on failure
    exact: bool = True


def call_both(ctx: RunContext, method: str, grpc_request: dict, rest_request: dict | None = None) -> Pair:
    grpc_result = ctx.call(method, grpc_request)
    rest_result = ctx.require_rest().call(
        wire(method), rest_request if rest_request is not None else grpc_request, headers=ctx.headers()
    )
    rest_offered(method, rest_result)
    if grpc_result.code != "OK" or rest_result.status != 200:
        raise CheckFailed(
            f"{method} should succeed on both transports: gRPC {grpc_result.code} "
            f"({grpc_result.details}), REST HTTP {rest_result.status}",
            {"grpc": grpc_result.details, "rest": rest_result.text[:500]},
        )
    return Pair(method, grpc_result.response, rest_result.body, exact=rest_request is None)


def _held_jobs(ctx: RunContext, count: int) -> tuple[str, str, list[str]]:
    queue, job_set = ctx.holding_queue(), ctx.name("js")
    return queue, job_set, ctx.submit(queue, job_set, count=count, hold=True)


def _get_queue(ctx: RunContext) -> Pair:
    name = ctx.create_queue(**RICH_QUEUE)
    return call_both(ctx, "Submit/GetQueue", {"name": name})


def _queue_effect(ctx: RunContext, method: str, make: Callable[[str], dict]) -> Pair:
    """Do ``method`` to one fresh queue per transport; compare the queues afterwards (via gRPC)."""
    first, second = ctx.create_queue(), ctx.create_queue()
    if method == "Submit/CreateQueue":
        first, second = ctx.name("q"), ctx.name("q")
    pair = call_both(ctx, method, make(first), make(second))
    got = [ctx.call("Submit/GetQueue", {"name": n}) for n in (first, second)]
    if method == "Submit/DeleteQueue":
        codes = [g.code for g in got]
        if codes != ["NOT_FOUND", "NOT_FOUND"]:
            raise CheckFailed(f"after DeleteQueue via gRPC and via REST, GetQueue answers {codes}", {})
        return pair
    if not all(g.ok for g in got):
        raise CheckFailed(f"after {method} via both transports, GetQueue answers {[g.code for g in got]}", {})
    written = [(g.response.name, g.response.priority_factor) for g in got]
    if written != [(first, RICH_QUEUE["priorityFactor"]), (second, RICH_QUEUE["priorityFactor"])]:
        raise CheckFailed(
            f"after {method} the queues read back as (name, priorityFactor) {written}, not as written",
            {"expected_priority_factor": RICH_QUEUE["priorityFactor"]},
        )
    return Pair(method, as_dict(got[0].response), as_dict(got[1].response), exact=False)


def _batch(ctx: RunContext, method: str) -> Pair:
    def request(name: str) -> dict:
        # one good queue, one every release refuses (an empty name would be created by real Armada)
        bad = {"name": f"{name}-bad", "priorityFactor": cases.BAD_PRIORITY_FACTOR}
        return {"queues": [{"name": name, **RICH_QUEUE}, bad]}

    first, second = ctx.name("q"), ctx.name("q")
    if method == "Submit/UpdateQueues":
        first, second = ctx.create_queue(), ctx.create_queue()
    return call_both(ctx, method, request(first), request(second))


def _get_queues(ctx: RunContext) -> Pair:
    mine = {ctx.create_queue(**RICH_QUEUE), ctx.create_queue()}
    grpc_result = ctx.stream("Submit/GetQueues", {})
    rest_result = ctx.require_rest().stream(wire("Submit/GetQueues"), {}, headers=ctx.headers())
    _stream_ok(grpc_result, rest_result, "Submit/GetQueues")
    ours = [m for m in grpc_result.messages if m.WhichOneof("event") == "end" or m.queue.name in mine]
    try:  # either oneof form: {"queue": ...} or Go's {"Event": {"queue": ...}}
        read = [as_dict(parse(r, "api.StreamingQueueMessage")) for r in rest_result.results]
    except DialectError as exc:
        raise CheckFailed(
            f"a REST GetQueues line is not valid JSON of its message: {exc}", {"rest": rest_result.results[:5]}
        ) from None
    rest_ours = [r for r in read if "end" in r or r.get("queue", {}).get("name") in mine]
    listed = {m.queue.name for m in ours if m.WhichOneof("event") == "queue"}
    if listed != mine:
        raise CheckFailed(
            f"GetQueues over gRPC lists {sorted(listed)} of the run's queues {sorted(mine)}", {"listed": sorted(listed)}
        )
    return Pair("Submit/GetQueues", ours, rest_ours)


def _queue_info(ctx: RunContext) -> Pair:
    queue, _, _ = _held_jobs(ctx, 2)
    return call_both(ctx, "Submit/GetQueueInfo", {"name": queue})


def _submit(ctx: RunContext) -> Pair:
    queue = ctx.create_queue()
    sets = ctx.name("js"), ctx.name("js")
    return call_both(
        ctx, "Submit/SubmitJobs", *({"queue": queue, "jobSetId": s, "jobRequestItems": [ctx.job()]} for s in sets)
    )


def _on_two_jobs(method: str, extra: dict) -> Callable[[RunContext], Pair]:
    def scenario(ctx: RunContext) -> Pair:
        queue, job_set, (one, two) = _held_jobs(ctx, 2)
        base = {"queue": queue, "jobSetId": job_set, **extra}
        pair = call_both(ctx, method, {**base, "jobIds": [one]}, {**base, "jobIds": [two]})
        return _without_map_keys(pair)

    return scenario


def _without_map_keys(pair: Pair) -> Pair:
    """Results keyed by job id: compare the values, since the two jobs' ids differ."""
    grpc_side, rest_side = comparable(pair)
    return Pair(pair.method, _map_values(grpc_side), _map_values(rest_side), exact=False)


def _map_values(result: dict[str, Any]) -> dict[str, Any]:
    return {k: sorted(v.values()) if isinstance(v, dict) else v for k, v in result.items()}


def _cancel_job_set(ctx: RunContext) -> Pair:
    queue = ctx.holding_queue()
    sets = []
    for _ in range(2):
        job_set = ctx.name("js")
        ctx.submit(queue, job_set, hold=True)
        sets.append(job_set)
    pair = call_both(ctx, "Submit/CancelJobSet", *({"queue": queue, "jobSetId": s} for s in sets))
    kinds = [[k for _, k, _ in ctx.events(queue, s)] for s in sets]
    if not all("submitted" in k for k in kinds):
        raise CheckFailed(
            f"the job sets' stored events are {kinds}: no submitted event to compare the cancellation by", {}
        )
    if kinds[0] != kinds[1]:
        raise CheckFailed(f"CancelJobSet via gRPC left events {kinds[0]}, via REST {kinds[1]}", {})
    return pair


def _events(ctx: RunContext) -> Pair:
    queue, job_set = ctx.create_queue(), ctx.name("js")
    ctx.submit(queue, job_set, count=2)
    ctx.wait_for(queue, job_set, lambda kinds: kinds.count("queued") >= 2, timeout=5)
    request = {"queue": queue, "id": job_set}
    grpc_result = ctx.stream("Event/GetJobSetEvents", request)
    rest_result = ctx.require_rest().stream(wire("Event/GetJobSetEvents"), request, headers=ctx.headers())
    _stream_ok(grpc_result, rest_result, "Event/GetJobSetEvents")
    queued = sum(1 for m in grpc_result.messages if m.message.WhichOneof("events") == "queued")
    if queued < 2:
        raise CheckFailed(
            f"the job set of 2 submitted jobs shows {queued} queued events over gRPC: nothing stored to compare",
            {"messages": len(grpc_result.messages)},
        )
    return Pair("Event/GetJobSetEvents", grpc_result.messages, rest_result.results)


def rest_offered(method: str, rest_result: RestResult) -> None:
    """REST 501, or 404 without the gateway's JSON error body (no route), means REST does not serve the method."""
    if not_offered_over_rest(rest_result):
        raise NotOffered(f"{method} over REST {not_served_reason(rest_result.status)}")


def _stream_ok(grpc_result: GrpcResult, rest_result: RestResult, method: str) -> None:
    rest_offered(method, rest_result)
    if not grpc_result.ok or rest_result.status != 200:
        raise CheckFailed(
            f"{method} should stream on both transports: gRPC {grpc_result.code}, REST HTTP {rest_result.status}",
            {"rest": rest_result.text[:500]},
        )
    if rest_result.stream_error is not None:
        raise CheckFailed(
            f"the REST stream of {method} ended with an error line under HTTP 200: {rest_result.stream_error}",
            {"error_line": rest_result.stream_error},
        )


SUCCESS: dict[str, Callable[[RunContext], Pair]] = {
    "Submit/SubmitJobs": _submit,
    "Submit/CancelJobs": _on_two_jobs("Submit/CancelJobs", {"reason": "parity"}),
    "Submit/CancelJobSet": _cancel_job_set,
    "Submit/ReprioritizeJobs": _on_two_jobs("Submit/ReprioritizeJobs", {"newPriority": 5}),
    "Submit/PreemptJobs": _on_two_jobs("Submit/PreemptJobs", {"reason": "parity"}),
    "Submit/CreateQueue": lambda ctx: _queue_effect(ctx, "Submit/CreateQueue", lambda n: {"name": n, **RICH_QUEUE}),
    "Submit/CreateQueues": lambda ctx: _batch(ctx, "Submit/CreateQueues"),
    "Submit/UpdateQueue": lambda ctx: _queue_effect(ctx, "Submit/UpdateQueue", lambda n: {"name": n, **RICH_QUEUE}),
    "Submit/UpdateQueues": lambda ctx: _batch(ctx, "Submit/UpdateQueues"),
    "Submit/DeleteQueue": lambda ctx: _queue_effect(ctx, "Submit/DeleteQueue", lambda n: {"name": n}),
    "Submit/GetQueue": _get_queue,
    "Submit/GetQueues": _get_queues,
    "Submit/GetQueueInfo": _queue_info,
    "Event/GetJobSetEvents": _events,
}


def same_result(ctx: RunContext, method: str, name: str, transport: str) -> None:
    ctx.require_rest()
    ctx.require_offered(method)
    pair = PARITY.scenario(method)(ctx)
    grpc_side, rest_side = comparable(pair)
    if not pair.exact:
        grpc_side, rest_side = masked(grpc_side, VOLATILE), masked(rest_side, VOLATILE)
    if grpc_side != rest_side:
        raise CheckFailed(f"{method} differs between gRPC and REST", {"grpc": grpc_side, "rest": rest_side})


Scenario = Callable[[RunContext], Pair]


class ParityTable:
    """Every ``PARITY-{name}`` row: a method and the scenario that does it once per transport.

    Modules feed it their scenarios (``parity_more`` those of api.Jobs and
    api.RetryPolicyService); each row becomes a check judged by ``same_result``, with
    one ID template and one requirement.
    """

    ID = "PARITY-{name}"
    REQUIREMENT = "{method} gives the same result via gRPC and REST (either JSON dialect)"

    def __init__(self, registry: Registry | None = None) -> None:
        self._scenarios: dict[str, Scenario] = {}
        self._registry = registry  # None: the suite's REGISTRY

    def feed(self, scenarios: Mapping[str, Scenario]) -> None:
        """Add rows (a method already in the table is refused) and register their checks."""
        clash = sorted(set(scenarios) & set(self._scenarios))
        if clash:
            raise ValueError(f"PARITY rows fed twice: {', '.join(clash)}")
        self._scenarios.update(scenarios)
        rows = [{"method": m, "name": m.split("/")[1], "transport": "both"} for m in scenarios]
        family(
            self.ID,
            "PARITY",
            self.REQUIREMENT,
            rows,
            mutating=True,
            registry=self._registry,
            source="internal/common/grpc/gateway.go",
        )(same_result)

    def scenario(self, method: str) -> Scenario:
        return self._scenarios[method]

    def __contains__(self, method: object) -> bool:
        return method in self._scenarios

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._scenarios))


PARITY = ParityTable()
PARITY.feed(SUCCESS)


def comparable(pair: Pair) -> tuple[Any, Any]:
    """Both sides as canonical proto3 JSON dicts (REST parsed from whichever dialect it used)."""
    if isinstance(pair.grpc, dict):  # already compared through gRPC reads of the effect
        return pair.grpc, pair.rest
    try:
        if isinstance(pair.grpc, list):
            message_type = response_type(pair.method)
            return [as_dict(m) for m in pair.grpc], [as_dict(parse(r, message_type)) for r in pair.rest]
        return as_dict(pair.grpc), as_dict(parse(pair.rest, response_type(pair.method)))
    except DialectError as exc:
        raise CheckFailed(
            f"the REST answer of {pair.method} is not valid JSON of its message: {exc}", {"rest": pair.rest}
        ) from None


def _failure_rows() -> list[dict[str, str]]:
    accepted = " (real Armada accepts it: then both transports must answer OK)"
    return [
        {"method": m, "name": m.split("/")[1], "transport": "both", "note": accepted if m in cases.MAY_ACCEPT else ""}
        for m in cases.REFUSING
    ]


@family(
    "PARITY-{name}-ERROR",
    "PARITY",
    "a refused {method} gives the same code via gRPC and REST: the "
    "grpc-gateway status mapping and v1 error body {{error, code, message}} (a stream refused before its "
    "first message: one stream error line){note}",
    _failure_rows(),
    mutating=lambda row: changes_state(row["method"]),
    source="internal/common/grpc/gateway.go",
)
def same_failure(ctx: RunContext, method: str, name: str, transport: str, note: str) -> None:
    rest = ctx.require_rest()
    ctx.require_offered(method)
    request = cases.refused(method, ctx.name("absent"), ctx.target.jobs)
    streaming = method == "Event/GetJobSetEvents"
    grpc_result = (ctx.stream if streaming else ctx.call)(method, request)
    if grpc_result.ok and method not in cases.MAY_ACCEPT:
        raise CheckFailed(f"{method} accepted a request it must refuse", {"request": request})
    rest_result = (rest.stream if streaming else rest.call)(wire(method), request, headers=ctx.headers())
    if grpc_result.ok:
        _same_acceptance(ctx, method, request, grpc_result, rest_result)
        return
    expected_status = HTTP_STATUS.get(grpc_result.code, 500)
    evidence = {
        "request": request,
        "grpc_code": grpc_result.code,
        "grpc_details": grpc_result.details,
        "rest_status": rest_result.status,
        "rest_body": rest_result.text[:500],
    }
    rest_offered(method, rest_result)
    if rest_result.status != expected_status:
        raise CheckFailed(
            f"gRPC answered {grpc_result.code}, so REST must answer HTTP {expected_status}; "
            f"it answered {rest_result.status}",
            evidence,
        )
    body = rest_result.body if isinstance(rest_result.body, dict) else {}
    problem = _error_body_problem(body, grpc_result.code, expected_status, streaming)
    if problem:
        raise CheckFailed(problem, evidence)


def _same_acceptance(
    ctx: RunContext, method: str, request: dict[str, Any], grpc_result: GrpcResult, rest_result: RestResult
) -> None:
    """Armada accepts the request (DeleteQueue of an absent queue): both transports answer an empty OK, and
    nothing came into being (GetQueue still answers NOT_FOUND)."""
    evidence = {"request": request, "rest_status": rest_result.status, "rest_body": rest_result.text[:500]}
    if grpc_result.response is None or grpc_result.response.ByteSize() != 0:
        raise CheckFailed(f"{method} answered OK via gRPC with a non-empty answer", evidence)
    if rest_result.status != 200 or rest_result.body != {}:
        raise CheckFailed(
            f"{method} answered OK via gRPC but REST answered HTTP {rest_result.status} "
            f"{rest_result.text[:80]!r}, not 200 {{}}",
            evidence,
        )
    after = ctx.call(ctx.queue_service("GetQueue"), {"name": request.get("name", "")})
    if after.code != "NOT_FOUND":
        raise CheckFailed(
            f"after {method} of an absent queue, GetQueue answers {after.code}, not NOT_FOUND",
            {**evidence, "details": after.details},
        )


def _error_body_problem(body: dict[str, Any], code: str, status: int, streaming: bool) -> str:
    """What is wrong with a REST error body ("" if nothing).

    Unary errors carry ``{error, code, message}``. A stream refused before its first
    message carries one line in grpc-gateway's stream error form,
    ``{"error": {"grpc_code", "http_code", "message", "http_status"}}``
    (``shared/real-armada.md``); the unary form is accepted there too.
    """
    line = body.get("error")
    if streaming and isinstance(line, dict):
        if line.get("grpc_code") != GRPC_CODE_NUMBER[code] or line.get("http_code") != status:
            return (
                f"the REST stream error line carries grpc_code {line.get('grpc_code')!r} and http_code "
                f"{line.get('http_code')!r}, expected {GRPC_CODE_NUMBER[code]} ({code}) and {status}"
            )
        return "" if line.get("message") else "the REST stream error line carries no message"
    if body.get("code") != GRPC_CODE_NUMBER[code]:
        return f"the REST error body's code is {body.get('code')!r}, expected {GRPC_CODE_NUMBER[code]} ({code})"
    if not body.get("message") or body.get("message") != body.get("error"):
        return "the REST error body must carry the message in both `message` and `error`"
    return ""
