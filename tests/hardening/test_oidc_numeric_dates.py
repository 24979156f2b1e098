"""Issue 13 item 10: ``exp``/``nbf``/``iat`` must be numbers, even in a genuinely signed token.

The provider signs whatever claims its user carries, so these tokens have a valid
signature from the trusted issuer: only the type of the time claim is wrong. A string
``exp`` of "9999999999" used to be read by PyJWT through ``int()`` and accepted.
"""

from __future__ import annotations

import time

import pytest

from conformance.credentials.openid import OpenIDProvider
from reference_server.auth import AuthenticationError, build_chain
from reference_server.auth.chain import AuthChain


@pytest.fixture(scope="module")
def chain(openid_provider: OpenIDProvider) -> AuthChain:
    return build_chain({"order": ["oidc"], "oidc": openid_provider.auth_table()})


async def test_a_genuine_token_is_accepted(chain: AuthChain, openid_provider: OpenIDProvider) -> None:
    assert (await chain.authenticate(openid_provider.bearer("alice", []))).principal.name == "alice"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "9999999999"),
        ("exp", True),
        ("exp", [9999999999]),
        ("exp", {"at": 1}),
        ("nbf", "0"),
        ("iat", str(int(time.time()))),
        ("exp", 1e400),
    ],
    ids=["exp-string", "exp-bool", "exp-list", "exp-object", "nbf-string", "iat-string-now", "exp-inf"],
)
async def test_a_time_claim_that_is_not_a_number_is_refused(
    chain: AuthChain, openid_provider: OpenIDProvider, claim: str, value: object
) -> None:
    token = openid_provider.id_token("alice", [], extra_claims={claim: value})
    with pytest.raises(AuthenticationError, match=f"'{claim}' is not a number"):
        await chain.authenticate(f"Bearer {token}")
