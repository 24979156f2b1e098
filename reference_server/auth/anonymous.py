"""Anonymous access: only for a call that carries no ``Authorization`` at all."""

from __future__ import annotations

from reference_server.auth.base import AuthOutcome, Credentials, Principal
from reference_server.faults import Faults

ANONYMOUS = "anonymous"


class AnonymousScheme:
    """Accepts callers without credentials; any header at all is someone else's business."""

    name = ANONYMOUS
    challenge: str | None = None

    def __init__(self, faults: Faults | None = None) -> None:
        self._faults = faults or Faults()

    async def authenticate(self, credentials: Credentials | None) -> AuthOutcome | None:
        if credentials is not None or "anonymous-always-refused" in self._faults:
            return None
        return AuthOutcome(Principal(name=ANONYMOUS, groups=frozenset(), scheme=ANONYMOUS))

    def describe(self) -> str:
        return "anonymous"
