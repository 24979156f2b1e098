"""Job ids: ULIDs in lower case, as Armada issues them.

A ULID is 48 bits of milliseconds then 80 random bits, in Crockford base32: unique
without coordination and sortable by submission time, which makes logs readable.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_job_id() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))
