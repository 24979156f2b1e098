"""The vocabulary shared by every authentication scheme.

Kept apart from the chain and the schemes so that each scheme module imports only
this one, and the chain imports the schemes, without import cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

EVERYONE = "everyone"


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``groups`` always holds ``everyone``, as the contract requires."""

    name: str
    groups: frozenset[str] = frozenset()
    scheme: str = ""

    def __post_init__(self) -> None:
        # Frozen dataclass: object.__setattr__ is the sanctioned way to normalise a field.
        object.__setattr__(self, "groups", frozenset(self.groups) | {EVERYONE})


@dataclass(frozen=True)
class AuthOutcome:
    """An accepted caller plus headers the transport must send back (e.g. SPNEGO reply)."""

    principal: Principal
    response_headers: dict[str, str] = field(default_factory=dict)


class AuthenticationError(Exception):
    """The caller is not authenticated: UNAUTHENTICATED over gRPC, 401 over REST.

    The message is shown to the caller, so it never names a secret and never says
    whether a user exists. ``www_authenticate`` is the challenge to send back, if any.
    """

    def __init__(self, message: str, www_authenticate: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.www_authenticate = www_authenticate


class InternalAuthError(RuntimeError):
    """Authentication crashed and the crash escapes as an internal error (UNKNOWN / 500).

    Raised only by fault switches (a refusal turned crash, a panicking authenticator),
    so that the checks requiring "refused, not crashed" are proven able to fail.
    """


@dataclass(frozen=True)
class Credentials:
    """An ``Authorization`` value split into its scheme (lower-cased) and the rest."""

    scheme: str
    value: str


def parse_authorization(header: str) -> Credentials:
    """Split ``"<scheme> <credentials>"``; the scheme name is case-insensitive (RFC 9110)."""
    scheme, _, value = header.strip().partition(" ")
    return Credentials(scheme=scheme.lower(), value=value.strip())


class Scheme(Protocol):
    """One way of proving identity.

    ``authenticate`` returns None when the credentials are not of its kind (the chain
    then asks the next scheme) and raises AuthenticationError when they are of its
    kind but wrong: a failed scheme never falls through.
    """

    name: str
    challenge: str | None

    async def authenticate(self, credentials: Credentials | None) -> AuthOutcome | None: ...

    def describe(self) -> str: ...
