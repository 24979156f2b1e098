"""Small helpers shared by the tests under tests/auth."""

from __future__ import annotations

import base64

from reference_server.auth import AuthChain, AuthenticationError, AuthOutcome

BASIC_USERS = {
    "alice": {"password": "alice-password", "groups": ["admins"]},
    "bob": {"password": "bob-password", "groups": []},
}


def basic_header(user: str, password: str, scheme: str = "Basic") -> str:
    return f"{scheme} {base64.b64encode(f'{user}:{password}'.encode()).decode()}"


async def refusal(chain: AuthChain, header: str | None) -> AuthenticationError:
    """The AuthenticationError the chain raises for ``header``; fails the test if it accepts."""
    try:
        outcome: AuthOutcome = await chain.authenticate(header)
    except AuthenticationError as exc:
        return exc
    raise AssertionError(f"accepted as {outcome.principal}")
