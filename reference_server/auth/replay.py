"""A bounded memory of recently seen one-time credentials, to refuse replays.

MIT krb5's replay cache already refuses a replayed authenticator in our tests, but
it can be switched off by the deployment (``KRB5RCACHETYPE=none``) or live on a
file system shared oddly; this keeps the server's promise regardless. Entries expire
once a replayed token could no longer pass Kerberos' clock-skew check anyway.
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

    def first_use(self, token: bytes) -> bool:
        """Record the token; False if it was already seen and has not expired.

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
