"""HTTP Basic: ``Basic base64(user:password)`` checked against users from the config.

The answer to a wrong password and to an unknown user is the same message, and both
paths do one constant-time comparison, so neither the text nor the timing of the
reply tells a caller which user names exist.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from reference_server.auth import settings
from reference_server.auth.base import AuthenticationError, AuthOutcome, Credentials, InternalAuthError, Principal
from reference_server.config import ConfigError
from reference_server.faults import Faults

CHALLENGE = 'Basic realm="armada"'
_REJECTED = "invalid user name or password"
_MALFORMED = "malformed Basic credentials: expected base64 of user:password"


@dataclass(frozen=True)
class BasicUser:
    password: bytes
    groups: frozenset[str]


class BasicScheme:
    name = "basic"
    challenge: str | None = CHALLENGE

    def __init__(self, users: dict[str, BasicUser], faults: Faults | None = None) -> None:
        self._users = users
        self._faults = faults or Faults()
        # Compared against when the user is unknown, so both paths cost the same.
        self._decoy = secrets.token_bytes(32)

    async def authenticate(self, credentials: Credentials | None) -> AuthOutcome | None:
        if credentials is None or credentials.scheme != "basic":
            return None
        if "basic-no-colon-panics" in self._faults and _lacks_colon(credentials.value):
            # The fault: armada-2026's authenticator panics here, outside its panic recovery.
            raise InternalAuthError("the Basic authenticator panicked on a value without a colon (fault)")
        user_name, password = _decode(credentials.value)
        user = self._users.get(user_name)
        expected = user.password if user is not None else self._decoy
        matches = hmac.compare_digest(password, expected)
        if "basic-accepts-any-password" in self._faults:
            matches = True  # the fault: the user name alone admits the caller
        if user is None or not matches:
            raise AuthenticationError(_REJECTED, www_authenticate=CHALLENGE)
        return AuthOutcome(Principal(name=user_name, groups=user.groups, scheme=self.name))

    def describe(self) -> str:
        return f"basic ({len(self._users)} user{'s' if len(self._users) != 1 else ''})"


def _decode(value: str) -> tuple[str, bytes]:
    """``user:password`` from the base64 payload; any defect is the caller's error."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise AuthenticationError(_MALFORMED, www_authenticate=CHALLENGE) from None
    user_name, colon, password = text.partition(":")
    if not value or not colon or not user_name:
        raise AuthenticationError(_MALFORMED, www_authenticate=CHALLENGE)
    return user_name, password.encode("utf-8")


def _lacks_colon(value: str) -> bool:
    """A non-empty, well-formed base64 payload without ``:`` (what armada-2026 indexes past)."""
    if not value:
        return False
    try:
        return b":" not in base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError, ValueError):
        return False


def build(config: dict[str, Any], faults: Faults | None = None) -> BasicScheme:
    """The scheme from ``[auth.basic]``: ``users.<name> = {password, groups}``."""
    settings.check_keys(config, {"users"}, "auth.basic")
    users_table = settings.table(config, "users", "auth.basic")
    if not users_table:
        raise ConfigError("[auth.basic] has no users: add [auth.basic.users.<name>] with a password")
    users: dict[str, BasicUser] = {}
    for name, entry in users_table.items():
        where = f"auth.basic.users.{name}"
        if ":" in name:
            raise ConfigError(f"[{where}] a Basic user name cannot contain ':'")
        if not isinstance(entry, dict):
            raise ConfigError(f"[{where}] must be a table with password and groups")
        settings.check_keys(entry, {"password", "groups"}, where)
        password = settings.string(entry, "password", where)
        groups = settings.string_list(entry, "groups", where)
        users[name] = BasicUser(password=password.encode("utf-8"), groups=frozenset(groups))
    return BasicScheme(users, faults)
