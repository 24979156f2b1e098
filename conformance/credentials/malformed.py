"""``Authorization`` values that no server may answer with anything but 401/UNAUTHENTICATED."""

from __future__ import annotations

import base64


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# Values that may take a real server down (armada-2026 panics on a Basic value without a
# colon): left to the intrusive AUTH-BASIC-NOCOLON check, out of the MALFORMED ones.
INTRUSIVE = frozenset({"basic without colon"})


def malformed_authorization_values() -> list[tuple[str, str]]:
    """(label, header value) pairs, one per kind of defect, for every scheme."""
    return [
        ("empty", ""),
        ("blank", "   "),
        ("unknown scheme", 'Digest username="alice"'),
        ("unknown scheme, no payload", "Token"),
        ("basic without payload", "Basic"),
        ("basic with blank payload", "Basic    "),
        ("basic not base64", "Basic !!!not-base64!!!"),
        ("basic truncated base64", "Basic " + _b64(b"alice:secret")[:-3]),
        ("basic without colon", "Basic " + _b64(b"alicesecret")),
        ("basic empty user", "Basic " + _b64(b":secret")),
        ("basic not utf-8", "Basic " + _b64(b"\xff\xfe:\xff")),
        ("basic non-ascii payload", "Basic \u00e9\u00e9\u00e9="),
        ("bearer without token", "Bearer"),
        ("bearer blank token", "Bearer   "),
        ("bearer not a jwt", "Bearer not-a-jwt"),
        ("bearer two segments", "Bearer eyJhbGciOiJSUzI1NiJ9.e30"),
        ("bearer garbage segments", "Bearer a.b.c"),
        ("bearer header not json", "Bearer " + _b64(b"{not json").rstrip("=") + ".e30.sig"),
        ("negotiate without token", "Negotiate"),
        ("negotiate not base64", "Negotiate %%%garbage%%%"),
        ("negotiate garbage token", "Negotiate " + _b64(b"\x60\x82garbage-that-is-not-spnego")),
        ("negotiate truncated spnego", "Negotiate " + _b64(b"\x60\x28\x06\x06\x2b\x06\x01\x05\x05\x02\xa0")),
        ("negotiate ntlm", "Negotiate " + _b64(b"NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2")),
        ("scheme only, odd case", "bAsIc"),
        ("control characters", "Basic \x00\x01\x02"),
    ]
