"""OpenID Connect bearer tokens: ``Bearer <JWT>`` signed by the configured issuer.

The checks, in order: the header's ``alg`` is on the allow-list (asymmetric only, so
neither ``none`` nor an HMAC keyed with the public key can pass); the key is one the
issuer publishes and fits ``alg``; signature, ``iss``, ``aud`` (the client id, unless
``skip_audience_check``), ``exp``/``nbf`` with the configured leeway; a non-empty
``sub``. The principal is ``sub``; groups come from the configured claim.

``exp``, ``nbf`` and ``iat`` must be JSON numbers (RFC 7519 NumericDate). PyJWT reads
them through ``int()``, so a *string* ``"9999999999"`` would pass as a far-future
expiry and ``Infinity`` would crash it; their types are checked before anything else.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import jwt

from reference_server.auth import oidc_faults, settings
from reference_server.auth.base import AuthenticationError, AuthOutcome, Credentials, Principal
from reference_server.auth.jwks import JwksCache, KeysUnavailable
from reference_server.config import ConfigError
from reference_server.faults import Faults

_LOG = logging.getLogger(__name__)
CHALLENGE = 'Bearer realm="armada"'
INVALID_TOKEN = 'Bearer realm="armada", error="invalid_token"'

# JWS algorithms by the JWK key type they need. HMAC ("oct") is absent on purpose: an
# issuer's keys are public, and a shared secret cannot be published in a JWKS.
KEY_TYPE_OF_ALGORITHM = {
    **{alg: "RSA" for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")},
    **{alg: "EC" for alg in ("ES256", "ES384", "ES512")},
    "EdDSA": "OKP",
}

# What a rejected token is told; PyJWT's own messages are not passed on verbatim.
_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "token has expired"),
    (jwt.ImmatureSignatureError, "token is not yet valid"),
    (jwt.InvalidAudienceError, "token is for another audience"),
    (jwt.InvalidIssuerError, "token is from another issuer"),
    (jwt.InvalidSignatureError, "token signature does not verify"),
    (jwt.MissingRequiredClaimError, "token lacks a required claim"),
    (jwt.InvalidIssuedAtError, "token has an invalid issued-at time"),
]


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str | None
    skip_audience_check: bool
    groups_claim: str
    algorithms: tuple[str, ...]
    leeway_seconds: float


class OidcScheme:
    name = "oidc"
    challenge: str | None = CHALLENGE

    def __init__(self, config: OidcSettings, keys: JwksCache | None = None, faults: Faults | None = None) -> None:
        self.settings = config
        self.keys = keys or JwksCache(config.issuer)
        self._faults = faults or Faults()

    async def authenticate(self, credentials: Credentials | None) -> AuthOutcome | None:
        if credentials is None or credentials.scheme != "bearer":
            return None
        claims = await self._verify(credentials.value)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _rejected("token has no subject")
        groups = _groups(claims, self.settings.groups_claim)
        return AuthOutcome(Principal(name=subject, groups=groups, scheme=self.name))

    def describe(self) -> str:
        audience = "any audience" if self.settings.skip_audience_check else f"client {self.settings.client_id}"
        return f"oidc (issuer {self.settings.issuer}, {audience}, {'/'.join(self.settings.algorithms)})"

    async def _verify(self, token: str) -> dict[str, Any]:
        if not token:
            raise _rejected("empty bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _rejected("bearer token is not a JWT") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise _rejected("token key id is not a string")
        unverified = _check_numeric_dates(token, exp_optional="oidc-exp-optional" in self._faults)
        if algorithm not in self.settings.algorithms:
            forged = await oidc_faults.accept_forgery(self, token, algorithm, kid)
            if forged is not None:
                return self._decode(token, str(algorithm), None, exp_missing=unverified.get("exp") is None)
            raise _rejected(f"token algorithm {str(algorithm)[:20]!r} is not accepted")
        try:
            candidates = await self.keys.keys(kid)
        except KeysUnavailable as exc:
            _LOG.warning("cannot verify bearer tokens: %s", exc)
            raise _rejected("the identity provider's keys are unavailable") from None
        keys = [key for key in (_usable_key(jwk, algorithm) for jwk in candidates) if key is not None]
        if not keys:
            raise _rejected("token is signed with a key the issuer does not publish")
        return self._decode_with_any(token, algorithm, keys, exp_missing=unverified.get("exp") is None)

    def _decode_with_any(self, token: str, algorithm: str, keys: list[jwt.PyJWK], exp_missing: bool) -> dict[str, Any]:
        """Claims from the first key whose signature verifies (several only when no ``kid``)."""
        failure: Exception | None = None
        for key in keys:
            try:
                return self._decode(token, algorithm, key, exp_missing)
            except jwt.InvalidSignatureError as exc:
                failure = exc
            except jwt.PyJWTError as exc:
                raise _rejected(_reason(exc)) from None
        raise _rejected(_reason(failure or jwt.InvalidSignatureError()))

    def _decode(self, token: str, algorithm: str, key: jwt.PyJWK | None, exp_missing: bool) -> dict[str, Any]:
        """Verified claims; ``key`` None only for a forgery a fault let through (signature checked there)."""
        check_audience = not self.settings.skip_audience_check
        faults = self._faults
        exp_optional = exp_missing and "oidc-exp-optional" in faults
        # Every verification is named explicitly: PyJWT turns the unnamed ones off when
        # verify_signature is off, and a fault must bend exactly one thing.
        options: jwt.types.Options = {
            "require": ["iss", "sub"] if exp_optional else ["exp", "iss", "sub"],
            "verify_aud": check_audience and "oidc-any-audience" not in faults,
            "verify_iss": "oidc-any-issuer" not in faults,
            "verify_nbf": "oidc-ignores-nbf" not in faults,
            "verify_iat": True,
            "verify_signature": key is not None and "oidc-skips-signature" not in faults,
            "verify_exp": "oidc-accepts-expired" not in faults and not exp_optional,
        }
        return jwt.decode(
            token,
            key=key if key is not None else "",
            algorithms=[algorithm],
            audience=self.settings.client_id if check_audience else None,
            issuer=self.settings.issuer,
            leeway=self.settings.leeway_seconds,
            options=options,
        )


NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")


def _check_numeric_dates(token: str, exp_optional: bool = False) -> dict[str, Any]:
    """The unverified claims, refused when a time claim is not a finite number (refusing is safe).

    ``exp_optional`` is the fault ``oidc-exp-optional``: an ``exp`` of null passes as absent.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _rejected("bearer token is malformed") from None
    for name in NUMERIC_DATE_CLAIMS:
        value = claims.get(name)
        if name == "exp" and value is None and exp_optional:
            continue
        if name in claims and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
        ):
            raise _rejected(f"token claim {name!r} is not a number")
    return claims


def _usable_key(jwk: dict[str, Any], algorithm: str) -> jwt.PyJWK | None:
    """The JWK as a key for ``algorithm``, or None when it is of another type or use."""
    if jwk.get("kty") != KEY_TYPE_OF_ALGORITHM[algorithm]:
        return None
    if jwk.get("alg") not in (None, algorithm) or jwk.get("use") not in (None, "sig"):
        return None
    try:
        return jwt.PyJWK(jwk, algorithm=algorithm)
    except jwt.PyJWTError:
        return None


def _groups(claims: dict[str, Any], claim: str) -> frozenset[str]:
    """Groups from ``claim``: a top-level name first, else a dotted path (``realm_access.roles``)."""
    value: Any = claims.get(claim)
    if value is None and "." in claim:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(group, str) for group in value):
        raise _rejected(f"token claim {claim!r} is not a list of group names")
    return frozenset(value)


def _reason(exc: Exception) -> str:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "bearer token is malformed"


def _rejected(reason: str) -> AuthenticationError:
    return AuthenticationError(f"bearer token rejected: {reason}", www_authenticate=INVALID_TOKEN)


def build(config: dict[str, Any], faults: Faults | None = None) -> OidcScheme:
    """The scheme from ``[auth.oidc]``."""
    where = "auth.oidc"
    settings.check_keys(
        config, {"issuer", "client_id", "skip_audience_check", "groups_claim", "algorithms", "leeway_seconds"}, where
    )
    issuer = settings.string(config, "issuer", where)
    if not issuer.startswith(("https://", "http://")):
        raise ConfigError(f"[{where}] issuer must be an http(s) URL, got {issuer!r}")
    skip_audience = settings.boolean(config, "skip_audience_check", where, default=False)
    client_id = config.get("client_id")
    if client_id is not None or not skip_audience:
        client_id = settings.string(config, "client_id", where)
    algorithms = settings.string_list(config, "algorithms", where, default=["RS256"])
    bad = [alg for alg in algorithms if alg not in KEY_TYPE_OF_ALGORITHM]
    if bad or not algorithms:
        raise ConfigError(
            f"[{where}] algorithms {bad or '[]'} not allowed; choose from "
            f"{', '.join(KEY_TYPE_OF_ALGORITHM)} (never 'none' nor HMAC for public keys)"
        )
    return OidcScheme(
        OidcSettings(
            issuer=issuer,
            client_id=client_id,
            skip_audience_check=skip_audience,
            groups_claim=settings.string(config, "groups_claim", where, default="groups"),
            algorithms=tuple(algorithms),
            leeway_seconds=settings.number(config, "leeway_seconds", where, default=0),
        ),
        faults=faults,
    )
