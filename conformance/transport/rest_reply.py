"""The one reading of what a REST answer says about the method itself, before what it means.

Three questions every REST check asks first, answered here once so the SURFACE,
PARITY, SWAGGER and AUTH checks cannot drift apart:

* Is this the gateway's error body (even an incomplete one)?  grpc-gateway v1 writes ``{"error", "code",
  "message", "details"}`` for a unary error (``code``: the gRPC code number) and one
  line ``{"error": {"grpc_code", "http_code", "message", "http_status"}}`` for a
  stream that fails before its first message (``shared/real-armada.md``).
* Which gRPC code does it carry?  (``grpc_code``: the ``code`` or ``error.grpc_code``.)
* Does REST serve this method at all?  ``501 Not Implemented`` (UNIMPLEMENTED), or a
  ``404`` without the gateway's error body: real Armada answers a path with no route
  (GetQueueInfo on armada-2026) with ``text/plain`` ``Not Found``; a 404 *with* the
  error body is an answer of the method (NOT_FOUND).
"""

from __future__ import annotations

from typing import Any

NOT_FOUND_CODE = 5  # gRPC NOT_FOUND, as the gateway writes it in its error body


def grpc_code(body: Any) -> int | None:
    """The gRPC code number of the gateway's error body (unary or stream form); None: not one."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("code"), int) and not isinstance(body.get("code"), bool):
        return int(body["code"])
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("grpc_code"), int):
        return int(error["grpc_code"])
    return None


def gateway_error(body: Any) -> bool:
    """Whether ``body`` is the gateway's JSON error, of either form, even one missing its code.

    Such a body comes from the gateway's error handler, so the method's route exists:
    a body lacking its code is a wrong answer (PARITY's finding), not a missing route.
    """
    return isinstance(body, dict) and ("code" in body or "error" in body)


def not_served(status: int, body: Any) -> bool:
    """REST does not serve the method: 501, or 404 without the gateway's error body (no route)."""
    return status == 501 or (status == 404 and not gateway_error(body))


def not_served_reason(status: int) -> str:
    """Why ``not_served`` said so, as the end of a sentence: "answered 501 Not Implemented"."""
    if status == 501:
        return "answered 501 Not Implemented"
    return f"answered HTTP {status} without the gateway's error body: no route, REST does not serve it"


def let_in(status: int, body: Any) -> bool:
    """A read of an absent thing got past authentication: the gateway's 404 carrying NOT_FOUND."""
    return status == 404 and grpc_code(body) == NOT_FOUND_CODE
