"""Chain rules: order, fall-through, anonymous on and off, config validation, banner."""

from __future__ import annotations

from typing import Any

import pytest
from auth_kit import basic_header, refusal

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.malformed import malformed_authorization_values
from conformance.credentials.openid import OpenIDProvider
from reference_server.auth import Principal, build_chain
from reference_server.config import DEVELOPMENT_AUTH, ConfigError


def test_principal_always_in_everyone() -> None:
    assert Principal("x", frozenset({"a"}), "basic").groups == {"a", "everyone"}
    assert Principal("x", frozenset(), "basic").groups == {"everyone"}


async def test_development_default_is_anonymous() -> None:
    chain = build_chain(DEVELOPMENT_AUTH)
    outcome = await chain.authenticate(None)
    assert outcome.principal == Principal("anonymous", frozenset({"everyone"}), "anonymous")


async def test_anonymous_only_without_any_header(basic_table: dict[str, Any]) -> None:
    chain = build_chain({"order": ["basic", "anonymous"], "anonymous": True, "basic": basic_table})
    assert (await chain.authenticate(None)).principal.name == "anonymous"
    # wrong credentials never fall through to anonymous
    await refusal(chain, basic_header("alice", "wrong"))
    # nor does a header that no scheme recognises
    await refusal(chain, "Digest username=alice")


async def test_anonymous_off_refuses_missing_header(basic_table: dict[str, Any]) -> None:
    chain = build_chain({"basic": basic_table, "anonymous": False})
    error = await refusal(chain, None)
    assert "authentication required" in str(error)


async def test_no_scheme_refuses_everything() -> None:
    chain = build_chain({"order": [], "anonymous": False})
    assert "every call is refused" in chain.describe()
    await refusal(chain, None)
    await refusal(chain, basic_header("alice", "alice-password"))


async def test_each_scheme_passes_foreign_credentials_on(
    basic_table: dict[str, Any], openid_provider: OpenIDProvider, kerberos_realm: KerberosRealm
) -> None:
    table = {
        "order": ["kerberos", "oidc", "basic"],
        "basic": basic_table,
        "oidc": openid_provider.auth_table(),
        "kerberos": kerberos_realm.auth_table(),
    }
    chain = build_chain(table)
    assert (await chain.authenticate(basic_header("alice", "alice-password"))).principal.scheme == "basic"
    assert (await chain.authenticate(openid_provider.bearer("dave"))).principal.scheme == "oidc"
    assert (await chain.authenticate(kerberos_realm.negotiate("bob"))).principal.scheme == "kerberos"


async def test_failure_stops_the_chain(basic_table: dict[str, Any], openid_provider: OpenIDProvider) -> None:
    """A wrong bearer token is refused by oidc even though basic comes later."""
    chain = build_chain(
        {
            "order": ["oidc", "basic", "anonymous"],
            "anonymous": True,
            "basic": basic_table,
            "oidc": openid_provider.auth_table(),
        }
    )
    error = await refusal(chain, "Bearer " + openid_provider.wrong_audience_token("dave"))
    assert "audience" in str(error)


async def test_unrecognised_header_lists_every_challenge(
    basic_table: dict[str, Any], openid_provider: OpenIDProvider, kerberos_realm: KerberosRealm
) -> None:
    chain = build_chain(
        {
            "order": ["basic", "oidc", "kerberos"],
            "basic": basic_table,
            "oidc": openid_provider.auth_table(),
            "kerberos": kerberos_realm.auth_table(),
        }
    )
    error = await refusal(chain, "Digest username=alice")
    assert error.www_authenticate == 'Basic realm="armada", Bearer realm="armada", Negotiate'


@pytest.mark.parametrize("label, value", malformed_authorization_values())
async def test_malformed_values_refused_by_full_chain(
    label: str, value: str, basic_table: dict[str, Any], openid_provider: OpenIDProvider, kerberos_realm: KerberosRealm
) -> None:
    chain = build_chain(
        {
            "order": ["basic", "oidc", "kerberos", "anonymous"],
            "anonymous": True,
            "basic": basic_table,
            "oidc": openid_provider.auth_table(),
            "kerberos": kerberos_realm.auth_table(),
        }
    )
    error = await refusal(chain, value)
    assert error.www_authenticate, label


def test_default_order_when_omitted(basic_table: dict[str, Any], openid_provider: OpenIDProvider) -> None:
    chain = build_chain({"oidc": openid_provider.auth_table(), "basic": basic_table, "anonymous": True})
    assert [scheme.name for scheme in chain.schemes] == ["basic", "oidc", "anonymous"]


def test_order_names_are_case_insensitive(basic_table: dict[str, Any]) -> None:
    chain = build_chain({"order": ["BASIC", "Anonymous"], "anonymous": True, "basic": basic_table})
    assert [scheme.name for scheme in chain.schemes] == ["basic", "anonymous"]


@pytest.mark.parametrize(
    "table, needle",
    [
        ({"order": ["ldap"]}, "unknown scheme(s) ldap"),
        ({"order": ["basic"]}, "no [auth.basic] table"),
        ({"order": ["anonymous"], "anonymous": False}, "anonymous = false"),
        ({"order": ["anonymous", "anonymous"], "anonymous": True}, "more than once"),
        ({"order": [], "basic": {"users": {"a": {"password": "p"}}}}, "not in [auth] order"),
        ({"anonymous": "yes"}, "true or false"),
        ({"oauth": {}}, "unknown key(s) oauth"),
        ({"order": "basic"}, "list of non-empty strings"),
    ],
)
def test_bad_chain_config(table: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build_chain(table)
    assert needle in str(raised.value)
