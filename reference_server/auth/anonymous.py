"""Anonymous access: for a call that carries no ``Authorization`` at all.

Real Armada's anonymous service admits every call that reaches it, credentials or not
(``internal/common/auth/anonymous.go``; feature ``anonymous_admits_any``): an
Authorization no earlier scheme claims is anonymous. Placed before Kerberos (v0.3.x), it
takes every Negotiate call.
"""

from __future__ import annotations

from reference_server.auth.base import AuthOutcome, Credentials, Principal
from reference_server.faults import Faults

ANONYMOUS = "anonymous"


class AnonymousScheme:
    """Accepts callers without credentials; any header at all is someone else's business."""

    name = ANONYMOUS
    challenge: str | None = None

    def __init__(self, faults: Faults | None = None, admits_any: bool = False) -> None:
        self._faults = faults or Faults()
        self.admits_any = admits_any

    async def authenticate(self, credentials: Credentials | None) -> AuthOutcome | None:
        if (credentials is not None and not self.admits_any) or "anonymous-always-refused" in self._faults:
            return None
        return AuthOutcome(Principal(name=ANONYMOUS, groups=frozenset(), scheme=ANONYMOUS))

    def describe(self) -> str:
        return "anonymous"
