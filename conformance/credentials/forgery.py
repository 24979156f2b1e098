"""Forged OpenID tokens made from a genuine one: what an attacker holding a token can make.

These need nothing but a genuine token (and, for key confusion, the issuer's public
keys, which anyone can fetch), so the AUTH-OIDC forgery checks can run against any
deployment. Each forgery keeps the genuine claims, so the only defect is the one the
check is about:

* ``alg_none``: header ``alg: none``, no signature;
* ``key_confusion``: HS256 keyed with the issuer's public key as PEM text, the
  classic confusion of a verifier that lets the token choose the algorithm;
* ``foreign_key``: RS256 signed by a fresh key, under the issuer key's ``kid``.

Forgeries that need the *issuer's* signature on chosen claims (wrong ``iss``/``aud``,
future ``nbf``, no ``exp``) come from a test provider instead (``openid.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DISCOVERY_PATH = "/.well-known/openid-configuration"


class ForgeryUnavailable(Exception):
    """The forgery needs something the suite cannot get (e.g. the issuer's keys are unreachable)."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def split(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT, unverified (the suite reads its own genuine token)."""
    try:
        return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise ForgeryUnavailable(f"the configured bearer token is not a JWT: {type(exc).__name__}") from None


def alg_none(token: str) -> str:
    header, claims = split(token)
    forged_header = {key: value for key, value in header.items() if key != "kid"} | {"alg": "none"}
    return f"{_segment(forged_header)}.{_segment(claims)}."


def foreign_key(token: str) -> str:
    header, claims = split(token)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {"kid": header["kid"]} if header.get("kid") else None
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def key_confusion(token: str, timeout: float = 10.0) -> str:
    """HS256 over the genuine claims, keyed with the PEM of the issuer's key for this ``kid``."""
    header, claims = split(token)
    pem = _public_pem(issuer_keys(str(claims.get("iss", "")), timeout), header.get("kid"))
    forged_header = {"alg": "HS256", "typ": "JWT", **({"kid": header["kid"]} if header.get("kid") else {})}
    signing_input = f"{_segment(forged_header)}.{_segment(claims)}"
    signature = hmac.new(pem, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def issuer_keys(issuer: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The issuer's published JWKs, through its discovery document."""
    if not issuer.startswith(("https://", "http://")):
        raise ForgeryUnavailable(f"the token's iss {issuer[:80]!r} is not a URL to discover keys from")
    from conformance.transport.bounds import fetch_json

    try:  # each document: http(s) only, no redirect, a size cap and an overall deadline
        discovery = fetch_json(issuer.rstrip("/") + DISCOVERY_PATH, "the discovery document", timeout=timeout)
        keys = fetch_json(discovery["jwks_uri"], "the jwks_uri", timeout=timeout)
        return [key for key in keys["keys"] if isinstance(key, dict)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ForgeryUnavailable(f"cannot fetch the issuer's public keys: {type(exc).__name__}: {exc}") from None


def _public_pem(keys: list[dict[str, Any]], kid: Any) -> bytes:
    chosen = [key for key in keys if key.get("kid") == kid] or keys
    for jwk in chosen:
        try:
            public = jwt.PyJWK(jwk).key
            return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        except (jwt.PyJWTError, AttributeError, ValueError):
            continue
    raise ForgeryUnavailable("the issuer publishes no public key usable for the key-confusion forgery")
