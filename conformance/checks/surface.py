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
from conformance.checks import CheckFailed, NotOffered, family
from conformance.context import RunContext, not_offered_over_rest
from conformance.eras import all_methods, is_streaming, profiles_of, rest_bound

BROKEN_CODES = frozenset({"UNKNOWN", "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "DATA_LOSS"})


def _rows() -> list[dict[str, Any]]:
    rows = []
    for method in all_methods():
        rows.append({"method": method, "M": method.replace("/", "."), "transport": "grpc", "T": "GRPC"})
        if rest_bound(method):
            rows.append({"method": method, "M": method.replace("/", "."), "transport": "rest", "T": "REST"})
    return rows


@family("SURFACE-{M}-{T}", "SURFACE", "{method} answers a well-formed request over {transport} "
        "with a definite status (UNIMPLEMENTED is reported as not offered)", _rows(),
        profiles=lambda row: profiles_of(row["method"]))
def method_answers(ctx: RunContext, method: str, M: str, transport: str, T: str) -> None:
    request = cases.probe(method, ctx.name("absent"))
    if transport == "grpc":
        _grpc_answers(ctx, method, request)
    else:
        _rest_answers(ctx, method, request)


def _grpc_answers(ctx: RunContext, method: str, request: dict[str, Any]) -> None:
    call = ctx.stream if is_streaming(method) else ctx.call
    kwargs = {"limit": 2} if is_streaming(method) else {}
    result = call(method, request, **kwargs)
    if result.code == "UNIMPLEMENTED":
        raise NotOffered(f"{method} answered UNIMPLEMENTED: {result.details}")
    if result.code in BROKEN_CODES:
        raise CheckFailed(f"{method} answered {result.code}: {result.details}",
                          {"request": request, "code": result.code, "details": result.details})


def _rest_answers(ctx: RunContext, method: str, request: dict[str, Any]) -> None:
    rest = ctx.require_rest()
    send = rest.stream if is_streaming(method) else rest.call
    kwargs = {"limit": 2} if is_streaming(method) else {}
    try:
        result = send(f"api.{method}", request, headers=ctx.headers(), **kwargs)
    except Exception as exc:  # connection reset, timeout: the endpoint did not answer
        raise CheckFailed(f"{method} over REST did not answer: {exc}", {"request": request}) from None
    if result.status == 501 or not_offered_over_rest(result):
        raise NotOffered(f"{method} over REST answered {result.status} {result.text.strip()[:60]}")
    if result.status >= 500:
        raise CheckFailed(f"{method} over REST answered HTTP {result.status}",
                          {"request": request, "status": result.status, "body": result.text[:500]})
