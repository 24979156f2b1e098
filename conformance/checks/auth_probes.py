"""AUTH probes of how a server takes hostile Authorization values: several at once, huge, odd.

* AUTH-MULTIPLE: a wrong credential first and a valid one after it must be refused.
  Armada reads the *first* ``authorization`` value (``metautils...Get``), so a stock
  release refuses this pair; a server that lets a later value win admits a caller
  that every proxy or filter reading the first one would have refused.
* AUTH-BASIC-NOCOLON and AUTH-OVERSIZE are **intrusive**: armada-2026 panics on a
  Basic value without a colon outside its panic recovery (``real-armada.md``), and the
  oversize value, ``Basic`` plus 24 KiB of ``A``, decodes to colon-free bytes: it crashes
  current Armada exactly the same way (``basic.go`` ~38, ``internal/common/grpc/grpc.go``),
  besides upsetting a proxy in front of the server. They run only with
  ``--intrusive`` (on by default against the embedded server). Both require a refusal
  that is not a crash, and a server that still answers afterwards.
"""

from __future__ import annotations

import base64
import json
import ssl
import time

import urllib3

from conformance.checks import CheckFailed, NotConfigured, family
from conformance.checks.auth import TRANSPORTS
from conformance.checks.auth_schemes import SCHEMES, configured
from conformance.checks.auth_wire import Reply, expect_refused, grpc_reply, probe, rest_reply
from conformance.context import RunContext
from conformance.eras import auth_probe, wire
from conformance.transport.bounds import MAX_BODY_BYTES, read_raw
from conformance.transport.rest_client import plan

OVERSIZE_BYTES = 24 * 1024  # past common 8-16 KiB header limits, far below Go's 1 MB default
# Refusals of an oversize header that are not crashes, per transport.
OVERSIZE_REFUSALS = {
    "grpc": {"UNAUTHENTICATED", "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT"},
    "rest": {"HTTP 401", "HTTP 400", "HTTP 413", "HTTP 431"},
}


# Answers that mean no server answered at all (any other status, even INTERNAL, is an answer).
GONE = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "HTTP 502", "HTTP 503", "HTTP 504"}


def probe_values(ctx: RunContext, transport: str, values: list[str]) -> Reply:
    """The harmless read of ``probe``, carrying every value in ``values`` as its own header."""
    name, method = ctx.name("absent"), wire(auth_probe(ctx.target.release))
    if transport == "grpc":
        return grpc_reply(ctx.grpc.call(method, {"name": name}, metadata=[("authorization", v) for v in values]))
    rest = ctx.require_rest()
    where = plan(method, {"name": name})
    headers = urllib3.HTTPHeaderDict()
    for value in values:
        headers.add("Authorization", value)  # separate header lines, which requests would merge
    verify = rest.session.verify
    pool = urllib3.PoolManager(
        cert_reqs=ssl.CERT_REQUIRED if verify else ssl.CERT_NONE, ca_certs=verify if isinstance(verify, str) else None
    )
    try:
        answer = pool.request(
            where.verb,
            rest.base_url + where.url,
            headers=headers,
            timeout=ctx.target.timeout,
            retries=False,
            redirect=False,
            preload_content=False,
        )
        data = read_raw(answer, time.monotonic() + ctx.target.timeout, MAX_BODY_BYTES)[0]  # bounded
    finally:
        pool.clear()
    text = data.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    return rest_reply(answer.status, body, text, answer.headers)


def _rows() -> list[dict[str, str]]:
    return [{"transport": transport, "T": t} for transport, t in TRANSPORTS]


@family(
    "AUTH-MULTIPLE-{T}",
    "AUTH",
    "a call over {transport} carrying a wrong credential and then a valid one "
    "(gRPC: two authorization metadata values; REST: two Authorization headers) is refused with "
    "UNAUTHENTICATED / 401: a later value never admits the caller",
    _rows(),
    source="internal/common/auth/common.go",
)
def several_credentials(ctx: RunContext, transport: str, T: str) -> None:
    identity = ctx.target.identity()
    if identity is None:
        raise NotConfigured("the target file configures no authentication scheme")
    settings, _ = configured(ctx, identity.scheme)
    wrong = SCHEMES[identity.scheme].wrong(ctx, settings, identity, transport)
    alone = probe(ctx, transport, identity.header())
    if alone.unauthenticated:
        raise CheckFailed(
            "the valid credentials alone were refused, so several values cannot be judged", alone.evidence()
        )
    expect_refused(
        probe_values(ctx, transport, [wrong, identity.header() or ""]), "a wrong credential followed by a valid one"
    )


def _survives(ctx: RunContext, transport: str, value: str, allowed: set[str], what: str) -> None:
    """``value`` is refused with one of ``allowed`` (never a crash), and the server answers afterwards."""
    reply = probe(ctx, transport, value)
    if reply.status not in allowed:
        crashed = reply.status.startswith(("HTTP 5", "INTERNAL", "UNKNOWN", "UNAVAILABLE"))
        raise CheckFailed(
            f"{what}: expected {' or '.join(sorted(allowed))}, got {reply.status}"
            f"{' (a server error)' if crashed else ''}",
            reply.evidence(),
        )
    after = probe(ctx, transport, None)
    if after.status in GONE:
        raise CheckFailed(f"after {what}, the server no longer answers: {after.status}", after.evidence())


@family(
    "AUTH-BASIC-NOCOLON-{T}",
    "AUTH",
    "a Basic value whose payload has no colon is refused over {transport} "
    "with UNAUTHENTICATED / 401, not a crash, and the server keeps answering (intrusive: armada-2026 "
    "panics here)",
    [{"scheme": "basic", **row} for row in _rows()],
    intrusive=True,
    source="internal/common/auth/basic.go internal/common/grpc/grpc.go",
)
def basic_without_colon(ctx: RunContext, scheme: str, transport: str, T: str) -> None:
    configured(ctx, "basic")
    value = "Basic " + base64.b64encode(b"conformance-user-without-colon").decode()
    allowed = {"UNAUTHENTICATED"} if transport == "grpc" else {"HTTP 401"}
    _survives(ctx, transport, value, allowed, "a Basic value without a colon")


@family(
    "AUTH-OVERSIZE-{T}",
    "AUTH",
    f"an Authorization value of {OVERSIZE_BYTES // 1024} KiB is refused over "
    "{transport} (401 / UNAUTHENTICATED, or the transport's header-size refusal), not a crash, and the server "
    "keeps answering (intrusive)",
    _rows(),
    intrusive=True,
    source="internal/common/auth/basic.go internal/common/grpc/grpc.go",
)
def oversize_authorization(ctx: RunContext, transport: str, T: str) -> None:
    value = "Basic " + "A" * OVERSIZE_BYTES
    _survives(ctx, transport, value, OVERSIZE_REFUSALS[transport], "an oversize Authorization value")
