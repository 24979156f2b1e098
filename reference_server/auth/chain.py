"""The configured schemes, tried in order, for one ``authorization`` value per call.

Rules (the contract's): a scheme that finds no credentials of its kind passes to the
next; wrong credentials fail at once; when no scheme accepts, the call fails; a
failure never falls through to anonymous. Whatever goes wrong inside a scheme, the
caller gets AuthenticationError (UNAUTHENTICATED / 401), never an internal error.

Hardening (issue 13): several credentials in one call are refused rather than letting
one of them win (which one would depend on the transport), a value over
``MAX_AUTHORIZATION_BYTES`` is refused unparsed, and no refusal or log line repeats
any part of the value, since even its first word may be a bare secret.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from reference_server.auth import anonymous, basic, kerberos, oidc, settings
from reference_server.auth.base import (
    AuthenticationError,
    AuthOutcome,
    Credentials,
    InternalAuthError,
    Scheme,
    parse_authorization,
)
from reference_server.config import ConfigError
from reference_server.faults import Faults
from reference_server.flavours import DEFAULT, Flavour, flavour
from reference_server.limits import MAX_AUTHORIZATION_BYTES

_LOG = logging.getLogger(__name__)
# A configurable scheme from its ``[auth.<name>]`` table and the server's faults.
Builder = Callable[[dict[str, Any], Faults | None], Scheme]
BUILDERS: dict[str, Builder] = {"basic": basic.build, "oidc": oidc.build, "kerberos": kerberos.build}
WORDS = {"basic": "Basic", "oidc": "Bearer", "kerberos": "Negotiate"}  # each scheme's Authorization word
SCHEME_NAMES = (*BUILDERS, anonymous.ANONYMOUS)


AuthError = InternalAuthError  # raised under the fault ``auth-errors-are-internal``: a refusal escaping as a crash


class AuthChain:
    def __init__(self, schemes: Sequence[Scheme], faults: Faults | None = None) -> None:
        self.schemes = tuple(schemes)
        self.faults = faults or Faults()

    async def authenticate_values(self, values: Sequence[str]) -> AuthOutcome:
        """The caller's principal from every ``authorization`` value the call carried.

        More than one is refused: a proxy adding its own, or a client smuggling a second
        one past a filter that read the first, must not have the server pick a winner.
        """
        return await self._bent_by_fault(self._authenticate_values(values))

    async def authenticate(self, authorization: str | None) -> AuthOutcome:
        """The caller's principal from the ``authorization`` value (None: no header at all)."""
        return await self._bent_by_fault(self._authenticate(authorization))

    async def _bent_by_fault(self, attempt: Awaitable[AuthOutcome]) -> AuthOutcome:
        try:
            return await attempt
        except AuthenticationError as exc:
            if "auth-errors-are-internal" in self.faults:
                # The fault: the refusal escapes the transport's handling, as an unexpected error.
                raise AuthError(f"authentication crashed: {exc.message}") from None
            raise

    async def _authenticate_values(self, values: Sequence[str]) -> AuthOutcome:
        if "several-credentials-last-wins" in self.faults:
            values = values[-1:]  # the fault: the last of several values decides, as a naive header map does
        if len(values) > 1:
            raise AuthenticationError(f"{len(values)} Authorization values given; send exactly one", self.challenge)
        return await self._authenticate(values[0] if values else None)

    async def _authenticate(self, authorization: str | None) -> AuthOutcome:
        if (
            authorization is not None
            and len(authorization.encode("utf-8", "surrogateescape")) > MAX_AUTHORIZATION_BYTES
        ):
            if "oversize-authorization-crashes" in self.faults:
                raise InternalAuthError("authentication crashed on an oversize Authorization value (fault)")
            raise AuthenticationError(
                f"Authorization value longer than {MAX_AUTHORIZATION_BYTES} bytes", self.challenge
            )
        credentials = None if authorization is None else parse_authorization(authorization)
        for scheme in self.schemes:
            outcome = await self._try(scheme, credentials)
            if outcome is not None:
                return outcome
        raise self._nobody_accepted(credentials)

    def describe(self) -> str:
        """One line for the start-up banner; names schemes and public settings, never secrets."""
        if not self.schemes:
            return "no authentication scheme enabled: every call is refused"
        return ", then ".join(scheme.describe() for scheme in self.schemes)

    @property
    def challenge(self) -> str | None:
        """All enabled schemes' challenges, for a 401 that should tell clients what to try."""
        challenges = [scheme.challenge for scheme in self.schemes if scheme.challenge]
        return ", ".join(challenges) or None

    async def _try(self, scheme: Scheme, credentials: Credentials | None) -> AuthOutcome | None:
        try:
            return await scheme.authenticate(credentials)
        except (AuthenticationError, InternalAuthError):
            raise
        except Exception as exc:
            # A bug, not the caller's fault; still UNAUTHENTICATED, never a 500. One line,
            # no traceback and no exception text (either may repeat the header value, and
            # a caller could repeat the request to flood the log): the type and where.
            _LOG.error(
                "authentication scheme %s failed unexpectedly: %s at %s", scheme.name, type(exc).__name__, _where(exc)
            )
            raise AuthenticationError("authentication failed", www_authenticate=scheme.challenge) from None

    def _nobody_accepted(self, credentials: Credentials | None) -> AuthenticationError:
        if credentials is None:
            return AuthenticationError("authentication required: no Authorization given", self.challenge)
        if not credentials.scheme:
            return AuthenticationError("empty Authorization value", self.challenge)
        accepted = [WORDS[scheme.name] for scheme in self.schemes if scheme.name in WORDS]
        offer = f"; this server accepts {', '.join(accepted)}" if accepted else ""
        return AuthenticationError(f"the Authorization scheme is not one this server accepts{offer}", self.challenge)


def _where(exc: BaseException) -> str:
    """``file:line`` of the innermost frame of ``exc``: enough to find the bug, nothing of the input."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"


def build_chain(auth_table: dict[str, Any], faults: Faults | None = None, chosen: Flavour | None = None) -> AuthChain:
    """The chain from the parsed ``[auth]`` table; ConfigError says what to fix.

    ``faults`` are the server's fault switches; the schemes bend where a fault says.
    ``chosen`` is the server's flavour: its release decides the default order and how
    anonymous and Kerberos behave (``anonymous_before_kerberos``, ``anonymous_admits_any``,
    ``kerberos_unparsable_no_challenge``: Armada's ``internal/common/auth/setup.go``,
    ``anonymous.go`` and ``authorization/kerberos.go``).

    ``order`` lists the schemes to try (default: basic, oidc, kerberos for those
    configured, then anonymous if enabled; where the release tries anonymous before
    Kerberos, anonymous comes before it and admits every call reaching it). ``anonymous =
    true`` without ``anonymous`` in an explicit order appends it last.
    """
    if not isinstance(auth_table, dict):
        raise ConfigError("[auth] must be a table")
    chosen = chosen or flavour(DEFAULT)
    settings.check_keys(auth_table, {"order", "anonymous", *BUILDERS}, "auth")
    allow_anonymous = settings.boolean(auth_table, "anonymous", "auth", default=False)
    early_anonymous = chosen.has("anonymous_before_kerberos")
    order = _order(auth_table, allow_anonymous, early_anonymous)
    schemes: list[Scheme] = []
    for name in order:
        if name == anonymous.ANONYMOUS:
            schemes.append(anonymous.AnonymousScheme(faults, admits_any=chosen.has("anonymous_admits_any")))
            continue
        scheme = BUILDERS[name](settings.table(auth_table, name, "auth"), faults)
        if isinstance(scheme, kerberos.KerberosScheme):
            scheme.challenges_unparsable = not chosen.has("kerberos_unparsable_no_challenge")
        schemes.append(scheme)
    return AuthChain(schemes, faults)


def _order(auth_table: dict[str, Any], allow_anonymous: bool, early_anonymous: bool = False) -> list[str]:
    configured = [name for name in BUILDERS if name in auth_table]
    if "order" not in auth_table:
        if allow_anonymous and early_anonymous and "kerberos" in configured:  # v0.3.x: Kerberos last
            return [n for n in configured if n != "kerberos"] + [anonymous.ANONYMOUS, "kerberos"]
        return configured + ([anonymous.ANONYMOUS] if allow_anonymous else [])
    order = [name.lower() for name in settings.string_list(auth_table, "order", "auth")]
    unknown = [name for name in order if name not in SCHEME_NAMES]
    if unknown:
        raise ConfigError(
            f"[auth] order names unknown scheme(s) {', '.join(unknown)}; known: {', '.join(SCHEME_NAMES)}"
        )
    if len(set(order)) != len(order):
        raise ConfigError("[auth] order lists a scheme more than once")
    for name in order:
        if name in BUILDERS and name not in auth_table:
            raise ConfigError(f"[auth] order lists {name!r} but there is no [auth.{name}] table to configure it")
    for name in configured:
        if name not in order:
            raise ConfigError(f"[auth.{name}] is configured but {name!r} is not in [auth] order; add it or remove it")
    if anonymous.ANONYMOUS in order and not allow_anonymous:
        raise ConfigError("[auth] order lists 'anonymous' but anonymous = false; set anonymous = true or drop it")
    if allow_anonymous and anonymous.ANONYMOUS not in order:
        order.append(anonymous.ANONYMOUS)
    return order
