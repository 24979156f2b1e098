"""How each auth scheme is configured on a target and makes its bad credentials.

``configured`` is where an AUTH check learns whether it can run at all: the target file
must configure the scheme ("not configured" otherwise); a scheme the judged release does
not have (Kerberos from v0.4.20) is "not offered" before that (``Check.not_offered``).
``SCHEMES`` says, per scheme, the Authorization word,
how to make credentials that are wrong in exactly one way (a wrong password, a tampered
signature, a token for another service) and expired ones, and the words of its checks.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from conformance.checks import NotConfigured, NotOffered
from conformance.checks.auth_wire import probe
from conformance.context import RunContext
from conformance.target import Identity, SchemeSettings, basic_header


def configured(ctx: RunContext, scheme: str) -> tuple[SchemeSettings, Identity]:
    """The target's settings of ``scheme``; "not configured" when the target file has none.

    The target file says which schemes the target claims; a release without the scheme
    reports its checks "not offered" (a build that has it: ``[target.features]``).
    """
    settings = ctx.target.schemes.get(scheme)
    if settings is None or settings.identity is None:
        raise NotConfigured(f"the target file has no [auth.{scheme}]")
    if (
        scheme == "kerberos"
        and ctx.target.anonymous_expect == "allowed"
        and ctx.release.has("anonymous_before_kerberos")
    ):
        raise NotOffered(
            f"Kerberos cannot be judged on {ctx.release.name} with anonymous access on: its scheme order tries "
            "anonymous before Kerberos (internal/common/auth/setup.go), so every call is admitted as anonymous "
            "before Kerberos sees it (turn anonymous off, or set [target.features] anonymous_before_kerberos = "
            "false for a server whose [auth] order differs)"
        )
    return settings, settings.identity


def wrong_basic(ctx: RunContext, settings: SchemeSettings, identity: Identity, transport: str) -> str:
    """The right user name with a password that is certainly not the right one."""
    user = settings.extras.get("username") or identity.principal
    return basic_header(user, "wrong-" + secrets.token_urlsafe(12))


def wrong_oidc(ctx: RunContext, settings: SchemeSettings, identity: Identity, transport: str) -> str:
    """The genuine token with one signature character changed: only the signature is wrong.

    A middle character is changed, since the last one of a base64url string may carry
    only padding bits and changing it need not change the signature bytes.
    """
    token = (identity.header() or "").partition(" ")[2]
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"Bearer {header}.{payload}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


def wrong_kerberos(ctx: RunContext, settings: SchemeSettings, identity: Identity, transport: str) -> str:
    """A genuine token for another service when the realm is ours to use, else a replay."""
    realm = settings.extras.get("realm")
    if realm is not None:
        return str(realm.negotiate_for_wrong_service(identity.principal))
    token = identity.header() or ""
    probe(ctx, transport, token)
    return token


def expired_oidc(settings: SchemeSettings, identity: Identity) -> str:
    token = settings.extras.get("expired_token")
    if not token:
        raise NotConfigured("no expired token for this issuer ([auth.oidc] expired_token_env)")
    return f"Bearer {token}"


def expired_kerberos(settings: SchemeSettings, identity: Identity) -> str:
    """A token made with a since-expired ticket: the suite's realm makes one, a target file may give one."""
    realm = settings.extras.get("realm")
    if realm is not None:
        return str(realm.expired_negotiate(identity.principal))
    token = settings.extras.get("expired_token")
    if not token:
        raise NotConfigured(
            "an expired Kerberos token comes from the suite's own realm or the target file "
            "([auth.kerberos] expired_token_env)"
        )
    return str(token)


@dataclass(frozen=True)
class SchemeCases:
    """How one scheme makes bad credentials, and the words its checks use."""

    word: str  # the Authorization scheme word
    wrong_name: str  # ID part of its wrong-credentials check
    wrong_what: str
    wrong: Callable[[RunContext, SchemeSettings, Identity, str], str]
    expired: Callable[[SchemeSettings, Identity], str] | None = None


SCHEMES: dict[str, SchemeCases] = {
    "basic": SchemeCases("Basic", "BADPW", "the right user name with a wrong password", wrong_basic),
    "oidc": SchemeCases("Bearer", "BADSIG", "a genuine token with a tampered signature", wrong_oidc, expired_oidc),
    "kerberos": SchemeCases(
        "Negotiate",
        "BADTOKEN",
        "a genuine SPNEGO token for another service (or, outside the suite's realm, a replayed one)",
        wrong_kerberos,
        expired_kerberos,
    ),
}


def negotiate_attempt(settings: SchemeSettings, identity: Identity) -> tuple[str, Callable[[str], None]]:
    """A fresh token plus the function that verifies the server's reply to it."""
    realm = settings.extras.get("realm")
    if realm is not None:
        attempt = realm.initiate(identity.principal)
        return attempt.header, attempt.verify_reply
    initiator = settings.extras.get("initiator")
    if initiator is None:
        raise NotConfigured("no initiator context to verify a reply token with")
    header = identity.header() or ""
    context = initiator.last_context

    def verify(answer: str) -> None:
        context.step(base64.b64decode(answer.partition(" ")[2].strip(), validate=True))
        if not context.complete:
            raise ValueError("the reply token did not complete the context")

    return header, verify
