"""AUTH: every authentication scheme the target claims works, and refuses what it must.

The checks come from one declarative table, ``CASES`` (what to test) crossed with
``SCHEMES`` (``auth_schemes``: how each scheme makes good and bad credentials) and the two transports,
so ``AUTH-BASIC-BADPW-REST`` and ``AUTH-KERBEROS-REPLAY-GRPC`` are rows of the same
table rather than hand-written functions. A scheme the target file leaves out is
"not configured", never failed; one the judged release does not have (Kerberos from
v0.4.20) is "not offered" (a build that has it says so in ``[target.features]``).

How acceptance is judged: a caller is accepted as the right principal only when a job
it submits, into a run-created queue whose ``permissions`` grant exactly that
principal ``submit`` and ``watch``, comes back with that principal as its ``owner``.
A refusal is judged on a harmless read (``eras.auth_probe``: GetQueueInfo where the release
has it, else GetQueue, of a queue that does not exist): anything but UNAUTHENTICATED / 401 there means the
credentials got through. Secrets never enter evidence: it names statuses and labels.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from conformance.checks import CheckFailed, NotConfigured, Skip, family
from conformance.checks.auth_schemes import SCHEMES, configured, negotiate_attempt
from conformance.checks.auth_wire import (
    Unsendable,
    exercised,
    expect_refused,
    let_in,
    probe,
    send,
)
from conformance.context import RunContext, event_tuple
from conformance.credentials.malformed import INTRUSIVE, malformed_authorization_values
from conformance.eras import wire

TRANSPORTS = (("grpc", "GRPC"), ("rest", "REST"))
ANONYMOUS = "anonymous"


# ---- who the target says the caller is ------------------------------------------------


def expect_principal(
    ctx: RunContext, transport: str, header: Callable[[], str | None], principal: str, what: str
) -> None:
    """Submit as ``header`` into a queue granting only ``principal``; the job's owner must be it."""
    grant = [{"subjects": [{"kind": "User", "name": principal}], "verbs": ["submit", "watch"]}]
    queue, job_set = ctx.create_queue(permissions=grant), ctx.name("js")
    request = {"queue": queue, "jobSetId": job_set, "jobRequestItems": [ctx.job()]}
    reply = send(ctx, transport, "Submit/SubmitJobs", request, header())
    if not reply.ok:
        hint = " (the target may know the caller by another name)" if reply.denied else ""
        raise CheckFailed(
            f"{what} could not submit into a queue granting {principal!r} submit: {reply.status}{hint}",
            {**reply.evidence(), "queue": queue},
        )
    items = reply.body.get("jobResponseItems") or [{}]
    job_id = items[0].get("jobId", "")
    reader, main = header, ctx.target.identity()
    if ctx.release.has("watch_needs_global") and main is not None:
        # up to v0.4.4 a queue's watch grant alone does not let the caller read the job set: it also needs
        # the global watch_events (internal/armada/server/event.go): read it back as the target's main identity
        reader = main.header
    owner = submitted_owner(ctx, queue, job_set, job_id, reader)
    if owner is None:
        raise CheckFailed(
            f"the submitted event of the job {what} submitted did not come back within {ctx.target.timeout:g} s",
            {"transport": transport, "queue": queue, "job_id": job_id},
        )
    if owner != principal:
        raise CheckFailed(
            f"{what} was accepted as {owner!r}, expected principal {principal!r}",
            {"transport": transport, "queue": queue, "job_id": job_id, "owner": owner},
        )


def submitted_owner(
    ctx: RunContext, queue: str, job_set: str, job_id: str, header: Callable[[], str | None]
) -> str | None:
    """The ``owner`` in the job's submitted event, read (over gRPC) as the same caller.

    Read with watch=true and stopped at the event, so it neither waits for the end of
    the job set nor needs any permission beyond the queue's ``watch`` grant.
    """
    value = header()
    metadata = [] if value is None else [("authorization", value)]
    deadline = time.monotonic() + ctx.target.timeout
    call = ctx.grpc.open_stream(
        wire("Event/GetJobSetEvents"),
        {"queue": queue, "id": job_set, "watch": True},
        metadata=metadata,
        timeout=ctx.target.timeout,
    )
    try:
        for message in call:
            _, kind, event = event_tuple(message)
            if kind == "submitted" and event.get("jobId") == job_id:
                return str(event.get("job", {}).get("owner", ""))
            if time.monotonic() > deadline:
                break
    except grpc.RpcError as exc:  # refused, or the deadline passed: no owner to show
        if exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
            return None
        raise CheckFailed(
            f"could not read the submitted event back: {exc.code().name} {exc.details()}",
            {"queue": queue, "job_id": job_id},
        ) from None
    finally:
        call.cancel()
    return None


# ---- the checks -----------------------------------------------------------------------


def valid(ctx: RunContext, scheme: str, transport: str) -> None:
    _, identity = configured(ctx, scheme)
    expect_principal(ctx, transport, identity.header, identity.principal, f"valid {scheme} credentials")


def wrong(ctx: RunContext, scheme: str, transport: str) -> None:
    settings, identity = configured(ctx, scheme)
    cases = SCHEMES[scheme]
    expect_refused(probe(ctx, transport, cases.wrong(ctx, settings, identity, transport)), cases.wrong_what)


def missing(ctx: RunContext, scheme: str, transport: str) -> None:
    configured(ctx, scheme)
    anonymous(ctx, transport, required=False)


def anonymous(ctx: RunContext, transport: str, required: bool = True) -> None:
    """No Authorization at all: accepted as ``anonymous`` or refused, as the target file says."""
    expect = ctx.target.anonymous_expect
    if expect is None and required:
        raise NotConfigured("the target file does not say whether anonymous access is allowed ([auth.anonymous])")
    if expect != "allowed":
        expect_refused(probe(ctx, transport, None), "a call without credentials")
    elif ctx.read_only:  # the principal shows only in a job; under --read-only, being let in must do
        reply = probe(ctx, transport, None)
        exercised(reply)
        if not let_in(reply):
            raise CheckFailed(
                f"a call without credentials answered {reply.status}, but anonymous access is "
                "expected (OK or NOT_FOUND for the read of an absent queue)",
                reply.evidence(),
            )
    else:
        expect_principal(ctx, transport, lambda: None, ANONYMOUS, "a call without credentials")


def malformed(ctx: RunContext, scheme: str, transport: str) -> None:
    """Every malformed value of the scheme: 401 each, never a 5xx, never let in."""
    configured(ctx, scheme)
    word = SCHEMES[scheme].word
    wrong_answers, sent = [], 0
    for label, value in malformed_authorization_values():
        if label in INTRUSIVE:
            continue  # its own, intrusive check: AUTH-BASIC-NOCOLON
        if value.strip().partition(" ")[0].lower() != word.lower() or not all(" " <= ch <= "~" for ch in value):
            continue  # another scheme's, or bytes no HTTP/2 header can carry
        try:
            reply = probe(ctx, transport, value)
        except Unsendable:
            continue
        exercised(reply)
        sent += 1
        if not reply.unauthenticated:
            wrong_answers.append({"value": label, "status": reply.status, "message": reply.message[:200]})
    if not sent:
        raise Skip(f"no malformed {word} value could be sent over {transport}: nothing was judged")
    if wrong_answers:
        raise CheckFailed(
            f"{len(wrong_answers)} of {sent} malformed {word} values were not refused with UNAUTHENTICATED / 401",
            {"transport": transport, "answers": wrong_answers},
        )


def expired(ctx: RunContext, scheme: str, transport: str) -> None:
    settings, identity = configured(ctx, scheme)
    make = SCHEMES[scheme].expired
    assert make is not None
    expect_refused(probe(ctx, transport, make(settings, identity)), f"expired {scheme} credentials")


def low_privilege(ctx: RunContext, scheme: str, transport: str) -> None:
    """CreateQueue as the low-privilege identity: PERMISSION_DENIED naming create_queue."""
    settings, _ = configured(ctx, scheme)
    low = settings.low_privilege
    if low is None:
        raise NotConfigured(f"the target file names no low-privilege identity for {scheme} (low_privilege)")
    ctx.require_mutation()
    name = ctx.name("q")
    reply = send(ctx, transport, "Submit/CreateQueue", {"name": name, "priorityFactor": 1}, low.header())
    exercised(reply)
    if not reply.denied:
        raise CheckFailed(
            f"CreateQueue as the low-privilege {low.principal!r}: expected PERMISSION_DENIED / 403, got {reply.status}",
            reply.evidence(),
        )
    if "create_queue" not in reply.message.lower():
        raise CheckFailed("the refusal does not name the missing permission 'create_queue'", reply.evidence())


def replay(ctx: RunContext, scheme: str, transport: str) -> None:
    """The same SPNEGO token twice: the second use must be refused."""
    _, identity = configured(ctx, scheme)
    token = identity.header()
    first = probe(ctx, transport, token)
    if first.unauthenticated:
        raise CheckFailed("a fresh SPNEGO token was refused, so a replay cannot be judged", first.evidence())
    expect_refused(probe(ctx, transport, token), "a replayed SPNEGO token")


def mutual(ctx: RunContext, scheme: str, transport: str) -> None:
    """The reply token (``WWW-Authenticate: Negotiate <token>``) is there and completes the context."""
    settings, identity = configured(ctx, scheme)
    if not settings.extras.get("mutual"):
        raise NotConfigured("the target does not promise a mutual-auth reply token ([auth.kerberos] mutual)")
    header, verify = negotiate_attempt(settings, identity)
    reply = probe(ctx, transport, header)
    if reply.unauthenticated:
        raise CheckFailed("a fresh SPNEGO token was refused", reply.evidence())
    answer = reply.headers.get("www-authenticate", "")
    scheme_word, _, token = answer.partition(" ")
    if scheme_word.lower() != "negotiate" or not token.strip():
        raise CheckFailed(
            "no mutual-auth reply token (WWW-Authenticate: Negotiate <token>) came back",
            {**reply.evidence(), "www-authenticate": answer[:60]},
        )
    try:
        verify(answer)
    except Exception as exc:  # GSSError, bad base64: the reply is not the service's
        raise CheckFailed(
            f"the reply token does not complete mutual authentication: {str(exc).splitlines()[0]}", reply.evidence()
        ) from None


def challenge(ctx: RunContext, scheme: str, transport: str) -> None:
    """A token refused after it was read (a replay) is answered 401 with ``WWW-Authenticate: Negotiate``.

    An unparsable token must be refused, but Armada sends no challenge for it
    (``internal/common/auth/authorization/kerberos.go`` ~101-109): the challenge comes with
    missing credentials, continue-needed and a refusal after parsing, so it is asked there.
    """
    _, identity = configured(ctx, scheme)
    garbage = "Negotiate " + base64.b64encode(b"\x60\x82garbage-that-is-not-spnego").decode()
    expect_refused(probe(ctx, transport, garbage), "a garbage Negotiate token")
    token = identity.header()
    first = probe(ctx, transport, token)
    if first.unauthenticated:
        raise CheckFailed("a fresh SPNEGO token was refused, so a challenge cannot be provoked", first.evidence())
    reply = probe(ctx, transport, token)
    expect_refused(reply, "a replayed SPNEGO token")
    offered = reply.headers.get("www-authenticate", "")
    if not any(part.strip().lower().startswith("negotiate") for part in offered.split(",")):
        raise CheckFailed(
            "the refusal carries no WWW-Authenticate: Negotiate challenge",
            {**reply.evidence(), "www-authenticate": offered[:120]},
        )


# ---- the table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str  # ID part; "{wrong}" is the scheme's own name for it
    requirement: str
    check: Callable[[RunContext, str, str], None]
    schemes: tuple[str, ...] = ("basic", "oidc", "kerberos")
    mutating: bool = False


CASES: tuple[Case, ...] = (
    Case(
        "VALID",
        "valid {scheme} credentials are accepted over {transport} as the right principal (the owner of "
        "a job they submit into a queue granting that principal submit and watch)",
        valid,
        mutating=True,
    ),
    Case("{wrong}", "{wrong_what} is refused over {transport} with UNAUTHENTICATED / 401", wrong),
    Case(
        "MISSING",
        "with {scheme} configured, a call over {transport} without Authorization is refused with "
        "UNAUTHENTICATED / 401, or accepted as 'anonymous' when the target allows anonymous access",
        missing,
    ),
    Case(
        "MALFORMED",
        "malformed {word} Authorization values are refused over {transport} with UNAUTHENTICATED / 401, never a 5xx",
        malformed,
    ),
    Case(
        "EXPIRED",
        "expired {scheme} credentials are refused over {transport} with UNAUTHENTICATED / 401",
        expired,
        schemes=("oidc", "kerberos"),
    ),
    Case(
        "LOWPRIV",
        "CreateQueue over {transport} by the low-privilege {scheme} identity is refused with "
        "PERMISSION_DENIED / 403 naming the missing permission create_queue",
        low_privilege,
        mutating=True,
    ),
    Case(
        "REPLAY",
        "a replayed SPNEGO token is refused over {transport} with UNAUTHENTICATED / 401",
        replay,
        schemes=("kerberos",),
    ),
    Case(
        "MUTUAL",
        "when promised, the mutual-auth reply token (WWW-Authenticate: Negotiate <token>; gRPC "
        "metadata www-authenticate) comes back over {transport} and verifies",
        mutual,
        schemes=("kerberos",),
    ),
    Case(
        "CHALLENGE",
        "a Negotiate token refused over {transport} after it was read (a replay) is answered with UNAUTHENTICATED "
        "/ 401 and a WWW-Authenticate: Negotiate challenge; an unparsable one is refused (Armada sends it no "
        "challenge)",
        challenge,
        schemes=("kerberos",),
    ),
)


def _rows(schemes: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "scheme": scheme,
            "S": scheme.upper(),
            "transport": transport,
            "T": t,
            "word": SCHEMES[scheme].word,
            "wrong": SCHEMES[scheme].wrong_name,
            "wrong_what": SCHEMES[scheme].wrong_what,
        }
        for scheme in schemes
        for transport, t in TRANSPORTS
    ]


# Where each scheme's behaviour is read in Armada's code (Kerberos: v0.3.x, removed in v0.4.20).
SCHEME_SOURCE = {
    "basic": "internal/common/auth/basic.go",
    "oidc": "internal/common/auth/oidc.go",
    "kerberos": "internal/common/auth/authorization/kerberos.go",
}
PERMISSIONS_SOURCE = "internal/server/permissions/permissions.go"


def _register(case: Case) -> None:
    def run(ctx: RunContext, scheme: str, transport: str, **_labels: str) -> None:
        case.check(ctx, scheme, transport)

    run.__doc__ = case.check.__doc__
    for row in _rows(case.schemes):
        ident = case.name.format(**row)
        source = PERMISSIONS_SOURCE if case.name == "LOWPRIV" else SCHEME_SOURCE[row["scheme"]]
        family(f"AUTH-{{S}}-{ident}-{{T}}", "AUTH", case.requirement, [row], mutating=case.mutating, source=source)(run)


for _case in CASES:
    _register(_case)


@family(
    "AUTH-ANONYMOUS-{T}",
    "AUTH",
    "a call over {transport} without Authorization is accepted as 'anonymous' "
    "or refused with UNAUTHENTICATED / 401, exactly as the target file's [auth.anonymous] expect says",
    [{"scheme": ANONYMOUS, "transport": transport, "T": t} for transport, t in TRANSPORTS],
    source="internal/common/auth/anonymous.go",
)
def anonymous_as_promised(ctx: RunContext, scheme: str, transport: str, T: str) -> None:
    anonymous(ctx, transport)
