"""AUTH-OIDC forgeries: tokens an attacker can make, or an issuer signed with a fatal defect.

Each check sends one forged ``Bearer`` token and requires UNAUTHENTICATED / 401 (judged
on the same harmless read as every AUTH refusal, see ``auth.py``). The requirements
are OpenID Connect Core 3.1.3.7 (ID token validation) and RFC 7519/8725, which
Armada implements with go-oidc's verifier: RS256 only, signature by the issuer's
published key, ``iss``, ``aud`` (unless the deployment skips the client-id check),
``exp``, and ``nbf`` with five minutes of skew, so every stock release passes them.

Two kinds of forgery:

* made from the configured genuine token alone (``alg: none``, HS256 keyed with the
  issuer's public key, a foreign key under the issuer's ``kid``): they run against
  any target whose issuer publishes its keys;
* signed by the issuer itself with one claim wrong (``iss``, ``aud``, ``nbf`` an
  hour ahead, ``exp`` null): only a test provider signs those, so they need the
  suite's own provider or ``[auth.oidc] test_issuer = true``; otherwise they are
  "not configured", never failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.checks import NotConfigured, family
from conformance.checks.auth import TRANSPORTS
from conformance.checks.auth_schemes import configured
from conformance.checks.auth_wire import expect_refused, probe
from conformance.context import RunContext
from conformance.credentials import forgery
from conformance.target import Identity, SchemeSettings

NOT_YET_SECONDS = 3600  # well beyond go-oidc's 5 minutes of nbf skew


def _genuine(identity: Identity) -> str:
    return (identity.header() or "").partition(" ")[2]


def _signer(settings: SchemeSettings) -> Any:
    provider = settings.extras.get("provider")
    if provider is None:
        raise NotConfigured(
            "needs a token the issuer signs with a chosen claim: only with the suite's own "
            "provider or a test issuer ([auth.oidc] test_issuer = true)"
        )
    return provider


def _signed(settings: SchemeSettings, identity: Identity, **claims: Any) -> str:
    return str(_signer(settings).id_token(identity.principal, list(identity.groups), extra_claims=claims))


def _wrong_audience(settings: SchemeSettings, identity: Identity) -> str:
    client_id = settings.extras.get("client_id")
    if not client_id:
        raise NotConfigured(
            "the target file names no client_id its server checks the audience against ([auth.oidc] client_id)"
        )
    provider = _signer(settings)
    return str(provider.id_token(identity.principal, list(identity.groups), client_id=f"not-{client_id}"))


def _made(make: Callable[[str], str]) -> Callable[[SchemeSettings, Identity], str]:
    def forge(settings: SchemeSettings, identity: Identity) -> str:
        try:
            return make(_genuine(identity))
        except forgery.ForgeryUnavailable as exc:
            raise NotConfigured(str(exc)) from None

    return forge


@dataclass(frozen=True)
class Forgery:
    name: str
    what: str
    make: Callable[[SchemeSettings, Identity], str]


FORGERIES = (
    Forgery(
        "ALGNONE",
        "a token with alg none and no signature, carrying the genuine token's claims",
        _made(forgery.alg_none),
    ),
    Forgery(
        "KEYCONFUSION",
        "a token signed HS256 with the issuer's public key (PEM) as the HMAC secret",
        _made(forgery.key_confusion),
    ),
    Forgery("FOREIGNKEY", "a token signed by another key under the issuer key's kid", _made(forgery.foreign_key)),
    Forgery(
        "WRONGISS",
        "a token the issuer's key signed with another iss",
        lambda settings, identity: _signed(settings, identity, iss="https://issuer.invalid"),
    ),
    Forgery("WRONGAUD", "a token the issuer signed for an audience other than the target's client_id", _wrong_audience),
    Forgery(
        "NOTYET",
        f"a token the issuer signed with nbf {NOT_YET_SECONDS} s ahead",
        lambda settings, identity: _signed(settings, identity, nbf=_now() + NOT_YET_SECONDS),
    ),
    Forgery(
        "NOEXP",
        "a token the issuer signed without an expiry (exp null)",
        lambda settings, identity: _signed(settings, identity, exp=None),
    ),
)


def _now() -> int:
    import time

    return int(time.time())


def _register(case: Forgery) -> None:
    def run(ctx: RunContext, scheme: str, transport: str, **_labels: str) -> None:
        settings, identity = configured(ctx, "oidc")
        expect_refused(probe(ctx, transport, f"Bearer {case.make(settings, identity)}"), case.what)

    run.__doc__ = f"{case.what[0].upper()}{case.what[1:]} is refused."
    rows = [{"scheme": "oidc", "transport": transport, "T": t} for transport, t in TRANSPORTS]
    family(
        f"AUTH-OIDC-{case.name}-{{T}}",
        "AUTH",
        f"{case.what} is refused over {{transport}} with UNAUTHENTICATED / 401",
        rows,
        source="internal/common/auth/oidc.go",
    )(run)


for _forgery in FORGERIES:
    _register(_forgery)
