"""The reference server's limits on what a request may make it hold or do.

One table, shared by both transports, so that a request refused on one is refused
on the other for the same reason (issue 13: a large Kerberos token must not work on
gRPC only). Each limit says why it has its size.
"""

from __future__ import annotations

# A Kerberos token with a large PAC (many groups) reaches ~12 KB once base64-encoded;
# 16 KiB admits it. Longer Authorization values are refused 401 / UNAUTHENTICATED
# by the auth chain on both transports, without being parsed.
MAX_AUTHORIZATION_BYTES = 16 * 1024

# All request headers (HTTP) or all metadata (gRPC) together. Above the Authorization
# limit, so that an oversize Authorization reaches the chain and gets its 401.
MAX_HEADER_BYTES = 32 * 1024

# How long a client may take to send a request's headers once it started them: a
# connection that stalls mid-headers is closed (408), so idle attackers hold no memory.
HEADER_READ_SECONDS = 10.0

# How long an error message may be: it often echoes the caller's input (a queue name),
# and a status message travels in gRPC metadata, so an unbounded echo overflows the
# metadata limit (the gateway then saw RESOURCE_EXHAUSTED and answered 429).
MAX_MESSAGE_CHARS = 512
_HEAD, _TAIL = 360, 100

# JSON bodies nested deeper than this are refused before parsing (an Armada job spec
# nests about 15 deep; Python's parser overflows its stack near 1000).
MAX_JSON_DEPTH = 100


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` at most ``limit`` characters: head and tail kept, so "... does not exist" survives."""
    if len(text) <= limit:
        return text
    return f"{text[:_HEAD]}...({len(text) - _HEAD - _TAIL} characters left out)...{text[-_TAIL:]}"
