"""Kerberos through SPNEGO (RFC 4559): ``Negotiate <base64 token>``.

The acceptor credentials are acquired once from the configured keytab through the
GSSAPI credential store, so the keytab is chosen per server, not by ``KRB5_KTNAME``
in the process environment. A context is accepted in a worker thread, because GSSAPI
calls block (keytab and replay-cache I/O). Only single round trips are supported,
which is what Kerberos via SPNEGO needs; a context that asks for more is refused.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import os
from dataclasses import dataclass
from typing import Any

from reference_server.auth import settings
from reference_server.auth.base import AuthenticationError, AuthOutcome, Credentials, Principal
from reference_server.auth.replay import ReplayCache
from reference_server.config import ConfigError
from reference_server.faults import Faults

_LOG = logging.getLogger(__name__)
CHALLENGE = "Negotiate"
# The first byte of a SPNEGO token: an InitialContextToken (APPLICATION 0) or a NegTokenResp.
_SPNEGO_TAGS = (b"\x60", b"\xa1")
_REPLAYED = "Kerberos token was already used (replay)"


@dataclass(frozen=True)
class KerberosSettings:
    keytab: str
    service_principal: str
    strip_realm: bool
    send_reply_token: bool
    groups: dict[str, frozenset[str]]


@dataclass(frozen=True)
class _Accepted:
    initiator: str
    reply: bytes | None


class KerberosScheme:
    name = "kerberos"
    challenge: str | None = CHALLENGE
    # Armada v0.3.x refuses a token it cannot decode or unmarshal without a challenge
    # (``authorization/kerberos.go`` ~101-109); the contract always challenges.
    challenges_unparsable = True

    def __init__(
        self, config: KerberosSettings, faults: Faults | None = None, replays: ReplayCache | None = None
    ) -> None:
        self.settings = config
        self._credentials = _acceptor_credentials(config)
        self._replays = replays if replays is not None else ReplayCache()
        self._faults = faults or Faults()
        self._remembered: dict[bytes, AuthOutcome] = {}  # only under the fault negotiate-replay-accepted

    async def authenticate(self, credentials: Credentials | None) -> AuthOutcome | None:
        if credentials is None or credentials.scheme != "negotiate":
            return None
        try:
            token = _decode(credentials.value)
            if not self.challenges_unparsable and not token.startswith(_SPNEGO_TAGS):
                raise _rejected("SPNEGO invalid token, could not unmarshal")
        except AuthenticationError as exc:
            if not self.challenges_unparsable or "negotiate-no-www-authenticate" in self._faults:
                exc.www_authenticate = None  # Armada v0.3.x (or the fault): no challenge for an unparsable token
            raise
        try:
            if "negotiate-replay-accepted" in self._faults:
                # The fault: accepted tokens are remembered and a replay is waved through.
                digest = hashlib.sha256(token).digest()
                if digest not in self._remembered:
                    self._remembered[digest] = await self._authenticate_token(token)
                return self._remembered[digest]
            return await self._authenticate_token(token)
        except AuthenticationError as exc:
            if "negotiate-no-www-authenticate" in self._faults:
                exc.www_authenticate = None  # the fault: refusals forget the Negotiate challenge
            raise

    async def _authenticate_token(self, token: bytes) -> AuthOutcome:
        """Accept one fresh token: refuse a replay, run GSSAPI, name the principal.

        The token enters the replay cache only once GSSAPI has accepted it, so garbage
        cannot evict genuine entries; ``record`` after the accept also catches two
        concurrent uses of one token (the event loop runs it for one of them first).
        """
        if self._replays.seen(token):
            raise _rejected(_REPLAYED)
        accepted = await asyncio.to_thread(self._accept, token)
        if not self._replays.record(token):
            raise _rejected(_REPLAYED)
        keep_realm = not self.settings.strip_realm or "wrong-principal" in self._faults
        name = accepted.initiator if keep_realm else _strip_realm(accepted.initiator)
        headers = {}
        if self.settings.send_reply_token and accepted.reply and "no-reply-token" not in self._faults:
            headers["www-authenticate"] = f"{CHALLENGE} {base64.b64encode(accepted.reply).decode('ascii')}"
        groups = self.settings.groups.get(accepted.initiator) or self.settings.groups.get(name, frozenset())
        return AuthOutcome(Principal(name=name, groups=groups, scheme=self.name), response_headers=headers)

    def describe(self) -> str:
        return f"kerberos ({self.settings.service_principal}, keytab {self.settings.keytab})"

    def _accept(self, token: bytes) -> _Accepted:
        """One GSSAPI accept step (blocking: runs in a worker thread)."""
        import gssapi

        context = gssapi.SecurityContext(creds=self._credentials, usage="accept")
        # python-gssapi may return SPNEGO's reject token from step() and raise the failure
        # only on the next use of the context, so every use is inside the try.
        try:
            reply = context.step(token)
            complete = context.complete
            initiator = str(context.initiator_name) if complete else ""
        except Exception as exc:  # GSSError and friends: a bad token, whatever its defect
            _LOG.info("Kerberos token refused: %s", _gss_reason(exc))
            raise _rejected("Kerberos authentication failed") from None
        if not complete:
            raise _rejected("Kerberos authentication needs more than one round trip; not supported")
        return _Accepted(initiator=initiator, reply=reply)


def _decode(value: str) -> bytes:
    try:
        token = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError, ValueError):
        raise _rejected("malformed Negotiate token: not base64") from None
    if not token:
        raise _rejected("empty Negotiate token")
    return token


def _strip_realm(principal: str) -> str:
    """``alice@EXAMPLE.COM`` -> ``alice`` (a ``\\@`` escaped inside the name is kept)."""
    index = len(principal)
    while True:
        index = principal.rfind("@", 0, index)
        if index <= 0:
            return principal
        if principal[index - 1] != "\\":
            return principal[:index]


def _gss_reason(exc: Exception) -> str:
    """A short reason for the log: GSSAPI messages name principals, never key material."""
    text = " ".join(str(exc).split())
    return text[:300]


def _rejected(message: str) -> AuthenticationError:
    return AuthenticationError(message, www_authenticate=CHALLENGE)


def _acceptor_credentials(config: KerberosSettings) -> Any:
    try:
        import gssapi
    except ImportError:
        raise ConfigError(
            "[auth.kerberos] needs the gssapi package: pip install 'armada-conformance[kerberos]' "
            "(it builds against libkrb5-dev)"
        ) from None
    name = gssapi.Name(config.service_principal, gssapi.NameType.kerberos_principal)
    try:
        return gssapi.Credentials(name=name, usage="accept", store={"keytab": config.keytab})
    except gssapi.exceptions.GSSError as exc:
        raise ConfigError(
            f"[auth.kerberos] cannot use {config.service_principal} from keytab {config.keytab}: {_gss_reason(exc)}"
        ) from None


def build(config: dict[str, Any], faults: Faults | None = None) -> KerberosScheme:
    """The scheme from ``[auth.kerberos]``.

    Besides the documented keys, an optional ``[auth.kerberos.groups]`` table maps a
    principal (with or without realm) to its groups, since Kerberos carries none.
    """
    where = "auth.kerberos"
    settings.check_keys(config, {"keytab", "service_principal", "strip_realm", "send_reply_token", "groups"}, where)
    keytab = settings.string(config, "keytab", where)
    if not os.path.isfile(keytab) or not os.access(keytab, os.R_OK):
        raise ConfigError(f"[{where}] keytab {keytab} does not exist or is not readable by this process")
    groups_table = settings.table(config, "groups", where)
    groups = {
        principal: frozenset(settings.string_list(groups_table, principal, f"{where}.groups"))
        for principal in groups_table
    }
    return KerberosScheme(
        KerberosSettings(
            keytab=keytab,
            service_principal=settings.string(config, "service_principal", where),
            strip_realm=settings.boolean(config, "strip_realm", where, default=True),
            send_reply_token=settings.boolean(config, "send_reply_token", where, default=True),
            groups=groups,
        ),
        faults,
    )
