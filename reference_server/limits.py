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

# How much of a caller's input an error message may echo: enough to recognise it,
# never enough to overflow gRPC's metadata limit with the status message.
MAX_ECHO_CHARS = 200


def echo(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"
