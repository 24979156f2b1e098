"""The forged-token acceptances that fault switches turn on, kept out of the real verifier.

Two classic OpenID verifier bugs, so that the suite's AUTH-OIDC-ALGNONE and
AUTH-OIDC-KEYCONFUSION checks are proven able to fail (see ``faults.py``):

* ``oidc-accepts-alg-none``: a token with ``alg: none`` is taken without a signature;
* ``oidc-key-confusion``: an HS256 token is checked with the issuer's *public* key
  (its PEM text) as the HMAC secret, as libraries did that let the token's header
  choose the algorithm.

Nothing here runs unless its fault is on: the real verifier refuses both algorithms
before any key is looked at.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization

if TYPE_CHECKING:
    from reference_server.auth.oidc import OidcScheme

FAULT_OF_ALGORITHM = {"none": "oidc-accepts-alg-none", "HS256": "oidc-key-confusion"}


async def accept_forgery(scheme: OidcScheme, token: str, algorithm: Any, kid: Any) -> bool | None:
    """True when a fault lets this token's algorithm through (its HMAC checked, for HS256); else None."""
    fault = FAULT_OF_ALGORITHM.get(algorithm) if isinstance(algorithm, str) else None
    if fault is None or fault not in scheme._faults:
        return None
    if algorithm == "none":
        return True
    signing_input, _, signature = token.rpartition(".")
    try:
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        return None
    for pem in _public_pems(await scheme.keys.keys(kid)):
        if hmac.compare_digest(hmac.new(pem, signing_input.encode("ascii"), hashlib.sha256).digest(), given):
            return True
    return None


def _public_pems(jwks: list[dict[str, Any]]) -> list[bytes]:
    pems = []
    for jwk in jwks:
        try:
            key = jwt.PyJWK(jwk).key
            pems.append(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        except (jwt.PyJWTError, AttributeError, ValueError):
            continue
    return pems
