"""Bearer tokens against a real oidc-provider-mock process and its published keys."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from auth_kit import refusal

from conformance.credentials.openid import OpenIDProvider
from reference_server.auth import build_chain
from reference_server.auth.chain import AuthChain
from reference_server.config import ConfigError


def oidc_chain(provider: OpenIDProvider, **overrides: Any) -> AuthChain:
    return build_chain({"order": ["oidc"], "oidc": provider.auth_table(**overrides)})


async def test_genuine_token_gives_sub_and_groups(openid_provider: OpenIDProvider) -> None:
    chain = oidc_chain(openid_provider)
    outcome = await chain.authenticate(openid_provider.bearer("alice", ["admins", "ops"]))
    assert outcome.principal.name == "alice"
    assert outcome.principal.groups == {"admins", "ops", "everyone"}
    assert outcome.principal.scheme == "oidc"


async def test_scheme_name_case_insensitive(openid_provider: OpenIDProvider) -> None:
    token = openid_provider.id_token("alice", [])
    assert (await oidc_chain(openid_provider).authenticate(f"bEaReR {token}")).principal.name == "alice"


async def test_token_without_groups_claim(openid_provider: OpenIDProvider) -> None:
    outcome = await oidc_chain(openid_provider).authenticate(openid_provider.bearer("erin"))
    assert outcome.principal.groups == {"everyone"}


async def test_groups_from_other_claim(openid_provider: OpenIDProvider) -> None:
    token = openid_provider.id_token("frank", extra_claims={"roles": {"names": ["auditors"]}})
    outcome = await oidc_chain(openid_provider, groups_claim="roles.names").authenticate(f"Bearer {token}")
    assert outcome.principal.groups == {"auditors", "everyone"}


async def test_malformed_groups_claim_refused(openid_provider: OpenIDProvider) -> None:
    token = openid_provider.id_token("frank", extra_claims={"groups": {"not": "a list"}})
    error = await refusal(oidc_chain(openid_provider), f"Bearer {token}")
    assert "not a list of group names" in str(error)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: p.expired_token("alice"), "expired"),
        (lambda p: p.not_yet_valid_token("alice"), "not yet valid"),
        (lambda p: p.wrong_audience_token("alice"), "another audience"),
        (lambda p: p.wrong_issuer_token("alice"), "another issuer"),
        (lambda p: p.other_key_token("alice"), "signature does not verify"),
        (lambda p: p.tampered_token("alice"), "signature does not verify"),
        (lambda p: p.alg_none_token("alice"), "algorithm 'none'"),
        (lambda p: p.hmac_with_public_key_token("alice"), "algorithm 'HS256'"),
    ],
)
async def test_bad_tokens_refused(openid_provider: OpenIDProvider, make: Any, reason: str) -> None:
    token = make(openid_provider)
    error = await refusal(oidc_chain(openid_provider), f"Bearer {token}")
    assert reason in str(error)
    assert error.www_authenticate == 'Bearer realm="armada", error="invalid_token"'
    assert token not in str(error)


async def test_expired_within_leeway_accepted(openid_provider: OpenIDProvider) -> None:
    token = openid_provider.expired_token("alice", seconds_ago=5)
    chain = oidc_chain(openid_provider, leeway_seconds=60)
    assert (await chain.authenticate(f"Bearer {token}")).principal.name == "alice"


async def test_skip_audience_check(openid_provider: OpenIDProvider) -> None:
    token = openid_provider.wrong_audience_token("alice")
    chain = oidc_chain(openid_provider, skip_audience_check=True)
    assert (await chain.authenticate(f"Bearer {token}")).principal.name == "alice"


async def test_algorithm_not_on_allow_list(openid_provider: OpenIDProvider) -> None:
    chain = oidc_chain(openid_provider, algorithms=["ES256"])
    error = await refusal(chain, openid_provider.bearer("alice"))
    assert "RS256" in str(error)


async def test_unknown_kid_refetches_keys_at_most_once_per_interval(openid_provider: OpenIDProvider) -> None:
    chain = oidc_chain(openid_provider)
    scheme = chain.schemes[0]
    await chain.authenticate(openid_provider.bearer("alice"))
    assert scheme.keys.fetch_count == 1
    scheme.keys.min_refetch_seconds = 0.0  # allow the refetch an unknown kid asks for
    error = await refusal(chain, "Bearer " + openid_provider.other_key_token("alice", kid="rotated-key"))
    assert "does not publish" in str(error)
    assert scheme.keys.fetch_count == 2
    scheme.keys.min_refetch_seconds = 3600.0  # now rate-limited: made-up kids cause no traffic
    for attempt in range(5):
        await refusal(chain, "Bearer " + openid_provider.other_key_token("alice", kid=f"made-up-{attempt}"))
    assert scheme.keys.fetch_count == 2
    assert (await chain.authenticate(openid_provider.bearer("alice"))).principal.name == "alice"


async def test_unreachable_provider_is_unauthenticated_not_a_crash(openid_provider: OpenIDProvider) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    chain = build_chain({"oidc": {"issuer": dead, "client_id": "armada"}})
    error = await refusal(chain, openid_provider.bearer("alice"))
    assert "keys are unavailable" in str(error)


async def test_issuer_mismatch_with_discovery_refused(openid_provider: OpenIDProvider) -> None:
    """Configured with the issuer spelled differently from what discovery announces."""
    chain = build_chain(
        {"oidc": {"issuer": openid_provider.issuer.replace("127.0.0.1", "localhost"), "client_id": "armada"}}
    )
    await refusal(chain, openid_provider.bearer("alice"))


@pytest.mark.parametrize(
    "table, needle",
    [
        ({}, "issuer is required"),
        ({"issuer": "ftp://x"}, "http(s) URL"),
        ({"issuer": "http://x"}, "client_id is required"),
        ({"issuer": "http://x", "client_id": "a", "algorithms": ["none"]}, "not allowed"),
        ({"issuer": "http://x", "client_id": "a", "algorithms": ["HS256"]}, "not allowed"),
        ({"issuer": "http://x", "client_id": "a", "algorithms": []}, "not allowed"),
        ({"issuer": "http://x", "client_id": "a", "leeway_seconds": -1}, "number >= 0"),
        ({"issuer": "http://x", "client_id": "a", "audience": "b"}, "unknown key(s) audience"),
    ],
)
def test_bad_oidc_config(table: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build_chain({"oidc": table})
    assert needle in str(raised.value)


def test_skip_audience_check_needs_no_client_id() -> None:
    chain = build_chain({"oidc": {"issuer": "http://x", "skip_audience_check": True}})
    assert "any audience" in chain.describe()
