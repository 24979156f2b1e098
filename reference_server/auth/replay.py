"""A bounded memory of recently seen one-time credentials, to refuse replays.

MIT krb5's replay cache already refuses a replayed authenticator in our tests, but
it can be switched off by the deployment (``KRB5RCACHETYPE=none``) or live on a
file system shared oddly; this keeps the server's promise regardless. Entries expire
once a replayed token could no longer pass Kerberos' clock-skew check anyway.

Only tokens GSSAPI has *accepted* are recorded (``record`` after the accept step;
``seen`` before it records nothing). Were every presented token recorded, anyone could
push the real ones out with garbage (the cache is bounded) and then replay them; this
way flushing the cache takes as many genuine tickets as it holds.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict


class ReplayCache:
    def __init__(self, ttl_seconds: float = 600.0, max_entries: int = 100_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # digest -> expiry, oldest first

    def seen(self, token: bytes) -> bool:
        """Whether the token was recorded and has not expired; records nothing (a cheap early refusal)."""
        self._expire(time.monotonic())
        return hashlib.sha256(token).digest() in self._seen

    def record(self, token: bytes) -> bool:
        """Record an *accepted* token; False if it was already recorded and has not expired.

        Only a digest is kept, so the memory never holds usable credentials.
        """
        now = time.monotonic()
        self._expire(now)
        digest = hashlib.sha256(token).digest()
        if digest in self._seen:
            return False
        self._seen[digest] = now + self._ttl
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)

    def _expire(self, now: float) -> None:
        while self._seen:
            digest, expiry = next(iter(self._seen.items()))
            if expiry > now:
                return
            del self._seen[digest]
