"""How the AUTH checks talk to a target: one call with an exact Authorization value, judged.

Kept apart from the check table (``auth.py``) because every AUTH module uses it: the
scheme checks, the OpenID forgeries (``auth_forgery.py``), the hostile-value probes
(``auth_probes.py``). A refusal is judged on a harmless read of a queue that does not
exist (the era's ``auth_probe``): NOT_FOUND / the gateway's 404 means "let in".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.checks import CheckFailed, NotOffered
from conformance.context import RunContext, to_dict
from conformance.eras import auth_probe, wire
from conformance.transport.rest_reply import let_in as rest_let_in
from conformance.transport.rest_reply import not_served


@dataclass
class Reply:
    """One call's outcome, the same shape for both transports."""

    transport: str
    status: str  # gRPC code name, or "HTTP <n>"
    ok: bool
    unauthenticated: bool  # UNAUTHENTICATED / 401
    denied: bool  # PERMISSION_DENIED / 403
    message: str
    headers: dict[str, str]  # lower-cased names
    body: dict[str, Any] = field(default_factory=dict)  # the response in proto JSON form
    http_status: int = 0  # REST: the HTTP status (0 over gRPC)

    def evidence(self) -> dict[str, Any]:
        return {"transport": self.transport, "status": self.status, "message": self.message[:300]}


class Unsendable(Exception):
    """The client library refuses to send this header value at all (e.g. control characters)."""


def send(ctx: RunContext, transport: str, method: str, request: Mapping[str, Any], authorization: str | None) -> Reply:
    """A unary call with exactly ``authorization`` (None: no header), over ``transport``."""
    if transport == "grpc":
        metadata = [] if authorization is None else [("authorization", authorization)]
        return grpc_reply(ctx.grpc.call(wire(method), request, metadata=metadata))
    rest = ctx.require_rest()
    headers = {} if authorization is None else {"Authorization": authorization}
    try:
        answer = rest.call(wire(method), request, headers=headers)
    except ValueError as exc:  # requests' header validation; nothing reached the target
        raise Unsendable(str(exc)) from None
    return rest_reply(answer.status, answer.body, answer.text, answer.headers)


def grpc_reply(result: Any) -> Reply:
    """A gRPC call's result (``GrpcResult``) as a ``Reply``."""
    return Reply(
        "grpc",
        result.code,
        result.ok,
        result.code == "UNAUTHENTICATED",
        result.code == "PERMISSION_DENIED",
        result.details,
        dict(result.headers),
        to_dict(result.response) if result.ok else {},
    )


def rest_reply(status: int, body: Any, text: str, headers: Mapping[str, str]) -> Reply:
    """A REST answer as a ``Reply``: the gateway's message if its body has one, else the text."""
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or body.get("error") or text[:300])
    return Reply(
        "rest",
        f"HTTP {status}",
        status == 200,
        status == 401,
        status == 403,
        message,
        {k.lower(): v for k, v in headers.items()},
        body,
        status,
    )


def probe(ctx: RunContext, transport: str, authorization: str | None) -> Reply:
    """A harmless authenticated read: a queue that does not exist (NOT_FOUND when let in)."""
    method = auth_probe(ctx.target.release)  # one the release has: else UNIMPLEMENTED before authentication
    return send(ctx, transport, method, {"name": ctx.name("absent")}, authorization)


def exercised(reply: Reply) -> None:
    """Raise ``NotOffered`` when the probe never reached authentication, so nothing can be judged.

    UNIMPLEMENTED (real Armada answers it before authenticating), HTTP 501, and a 404
    without the gateway's JSON error body (no route: not an Armada gateway path) say
    nothing about credentials; an AUTH check must not pass, or fail, on them.
    """
    unserved = reply.transport == "rest" and not_served(reply.http_status, reply.body)
    if reply.status == "UNIMPLEMENTED" or unserved:
        raise NotOffered(
            f"the probe answered {reply.status} over {reply.transport}: it never reached "
            "authentication, so the credentials could not be judged"
        )


def let_in(reply: Reply) -> bool:
    """The probe (a read of an absent queue) got past authentication: NOT_FOUND, or the gateway's 404 for it.

    An OK answer to the read of a queue that does not exist is not Armada's: it cannot
    show that the caller was let in.
    """
    return reply.status == "NOT_FOUND" or (reply.transport == "rest" and rest_let_in(reply.http_status, reply.body))


def expect_refused(reply: Reply, what: str) -> None:
    """UNAUTHENTICATED / 401 and nothing else: not accepted, not a crash, not a 403."""
    exercised(reply)
    if not reply.unauthenticated:
        crashed = reply.status.startswith(("HTTP 5", "INTERNAL", "UNKNOWN"))
        passed = reply.status in ("OK", "NOT_FOUND", "HTTP 200", "HTTP 404")
        verdict = "a server error" if crashed else "let in" if passed else "refused with another status"
        raise CheckFailed(f"{what}: expected UNAUTHENTICATED / 401, got {reply.status} ({verdict})", reply.evidence())
