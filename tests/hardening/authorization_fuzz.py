"""Seeded random ``authorization`` values, shaped like every scheme's credentials and garbage.

A value is built from a scheme word (any case, or none) and a payload of one of
several shapes: random base64, ``user:password`` base64 with a wrong password,
JWT-like segments (some with real-looking headers), SPNEGO-like DER, printable noise,
and, for REST only, raw bytes outside ASCII and control characters. About a third
carry ``CANARY``, so the test can prove no value reaches a log line or an answer.
"""

from __future__ import annotations

import base64
import json
import random
import string

CANARY = "CANARY7d1fQx"
_WORDS = [
    "Basic",
    "basic",
    "BASIC",
    "Bearer",
    "bearer",
    "BEARER",
    "Negotiate",
    "negotiate",
    "Digest",
    "Token",
    "KubernetesAuth",
    "NTLM",
    "",
]


def _b64(raw: bytes, url: bool = False) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") if url else base64.b64encode(raw).decode()


def _jwt(rng: random.Random) -> str:
    header = {
        "alg": rng.choice(["RS256", "none", "HS256", "ES256", "PS256", 7, None]),
        "kid": rng.choice([None, "k1", CANARY, "x" * rng.randint(1, 300)]),
    }
    claims = {
        "sub": rng.choice(["alice", CANARY, ""]),
        "exp": rng.choice([9999999999, "9999999999", None, 1.5]),
        "iss": rng.choice(["http://127.0.0.1:1", "https://issuer.invalid"]),
    }
    signature = _b64(rng.randbytes(rng.randint(0, 300)), url=True)
    return f"{_b64(json.dumps(header).encode(), url=True)}.{_b64(json.dumps(claims).encode(), url=True)}.{signature}"


def _printable(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(string.printable[:94] + " ") for _ in range(size))


def _payload(rng: random.Random) -> str:
    shape = rng.randrange(7)
    if shape == 0:
        return _b64(rng.randbytes(rng.randint(0, 120)))
    if shape == 1:
        return _b64(f"{rng.choice(['alice', 'carol', CANARY])}:{CANARY}{rng.random()}".encode())
    if shape == 2:
        return _jwt(rng)
    if shape == 3:
        return _b64(b"\x60\x82" + rng.randbytes(rng.randint(0, 400)))
    if shape == 4:
        return _printable(rng, rng.randint(0, 200))
    if shape == 5:
        return _b64(rng.randbytes(rng.randint(4_000, 12_000)))  # large, still under the Authorization limit
    return CANARY + _printable(rng, rng.randint(0, 40))


def ascii_value(rng: random.Random) -> str:
    """A value gRPC can carry: printable ASCII."""
    word, payload = rng.choice(_WORDS), _payload(rng)
    separator = rng.choice([" ", "  ", "", " \t "]) if word else ""
    return f"{word}{separator}{payload}"[:15_000].replace("\t", " ")


def http_value(rng: random.Random) -> bytes:
    """A value for a raw HTTP header: mostly ASCII, sometimes non-ASCII bytes or control characters."""
    value = ascii_value(rng).encode()
    kind = rng.randrange(10)
    if kind == 0:
        position = rng.randint(0, len(value))
        value = value[:position] + bytes(rng.randint(0x80, 0xFF) for _ in range(rng.randint(1, 8))) + value[position:]
    elif kind == 1:
        position = rng.randint(0, len(value))
        control = bytes([rng.choice([c for c in range(1, 32) if c not in (9, 10, 13)])])
        value = value[:position] + control + value[position:]
    return value
