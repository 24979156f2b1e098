"""Negotiate (SPNEGO/Kerberos) against a real k5test KDC and keytab."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from auth_kit import refusal

from conformance.credentials.kerberos import KerberosRealm
from reference_server.auth import build_chain
from reference_server.auth.chain import AuthChain
from reference_server.config import ConfigError


def kerberos_chain(realm: KerberosRealm, **options: Any) -> AuthChain:
    return build_chain({"order": ["kerberos"], "kerberos": {**realm.auth_table(), **options}})


async def test_valid_token_realm_stripped_and_reply_verifies(kerberos_realm: KerberosRealm) -> None:
    attempt = kerberos_realm.initiate("alice")
    outcome = await kerberos_chain(kerberos_realm).authenticate(attempt.header)
    assert outcome.principal.name == "alice"
    assert outcome.principal.scheme == "kerberos"
    assert outcome.principal.groups == {"everyone"}
    reply = outcome.response_headers["www-authenticate"]
    assert reply.startswith("Negotiate ")
    attempt.verify_reply(reply)  # the client proves the server held the service key


async def test_reply_token_not_sent_when_disabled(kerberos_realm: KerberosRealm) -> None:
    outcome = await kerberos_chain(kerberos_realm, send_reply_token=False).authenticate(kerberos_realm.negotiate("bob"))
    assert outcome.principal.name == "bob"
    assert outcome.response_headers == {}


async def test_realm_kept_when_not_stripped(kerberos_realm: KerberosRealm) -> None:
    outcome = await kerberos_chain(kerberos_realm, strip_realm=False).authenticate(kerberos_realm.negotiate("carol"))
    assert outcome.principal.name == "carol@KRBTEST.COM"


async def test_groups_from_config(kerberos_realm: KerberosRealm) -> None:
    chain = kerberos_chain(kerberos_realm, groups={"alice@KRBTEST.COM": ["admins"], "bob": ["ops"]})
    assert (await chain.authenticate(kerberos_realm.negotiate("alice"))).principal.groups == {"admins", "everyone"}
    assert (await chain.authenticate(kerberos_realm.negotiate("bob"))).principal.groups == {"ops", "everyone"}


async def test_scheme_name_case_insensitive(kerberos_realm: KerberosRealm) -> None:
    token = kerberos_realm.negotiate("alice").split(" ", 1)[1]
    assert (await kerberos_chain(kerberos_realm).authenticate(f"NEGOTIATE {token}")).principal.name == "alice"


async def test_token_for_another_service_refused(kerberos_realm: KerberosRealm) -> None:
    error = await refusal(kerberos_chain(kerberos_realm), kerberos_realm.negotiate_for_wrong_service("alice"))
    assert error.www_authenticate == "Negotiate"


async def test_expired_ticket_refused(kerberos_realm: KerberosRealm, expired_negotiate: str) -> None:
    error = await refusal(kerberos_chain(kerberos_realm), expired_negotiate)
    assert error.www_authenticate == "Negotiate"


async def test_replay_refused_by_our_cache(kerberos_realm: KerberosRealm) -> None:
    chain = kerberos_chain(kerberos_realm)
    header = kerberos_realm.negotiate("alice")
    await chain.authenticate(header)
    error = await refusal(chain, header)
    assert "replay" in str(error)


async def test_replay_refused_by_mit_replay_cache(kerberos_realm: KerberosRealm) -> None:
    """A second acceptor has its own (empty) cache: only krb5's replay cache can catch it."""
    header = kerberos_realm.negotiate("alice")
    await kerberos_chain(kerberos_realm).authenticate(header)
    error = await refusal(kerberos_chain(kerberos_realm), header)
    assert error.message == "Kerberos authentication failed"


@pytest.mark.parametrize(
    "value",
    [
        "Negotiate",
        "Negotiate !!!",
        "Negotiate " + base64.b64encode(b"garbage").decode(),
        "Negotiate " + base64.b64encode(b"\x60\x06\x06\x06\x2b\x06\x01\x05\x05\x02").decode(),
    ],
)
async def test_malformed_token_refused_with_challenge(kerberos_realm: KerberosRealm, value: str) -> None:
    error = await refusal(kerberos_chain(kerberos_realm), value)
    assert error.www_authenticate == "Negotiate"


async def test_truncated_genuine_token_refused(kerberos_realm: KerberosRealm) -> None:
    raw = base64.b64decode(kerberos_realm.negotiate("alice").split(" ", 1)[1])
    for cut in (1, len(raw) // 2, len(raw) - 1):
        await refusal(kerberos_chain(kerberos_realm), "Negotiate " + base64.b64encode(raw[:cut]).decode())


async def test_missing_header_asks_for_negotiate(kerberos_realm: KerberosRealm) -> None:
    error = await refusal(kerberos_chain(kerberos_realm), None)
    assert error.www_authenticate == "Negotiate"


def test_bad_kerberos_config(kerberos_realm: KerberosRealm, tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        build_chain({"kerberos": {"keytab": str(tmp_path / "none.keytab"), "service_principal": "HTTP/x@Y"}})
    with pytest.raises(ConfigError, match="service_principal is required"):
        build_chain({"kerberos": {"keytab": kerberos_realm.keytab}})
    with pytest.raises(ConfigError, match=r"cannot use HTTP/nothere@KRBTEST\.COM"):
        build_chain({"kerberos": {"keytab": kerberos_realm.keytab, "service_principal": "HTTP/nothere@KRBTEST.COM"}})
    with pytest.raises(ConfigError, match="true or false"):
        build_chain({"kerberos": {**kerberos_realm.auth_table(), "strip_realm": "yes"}})


def test_describe_names_principal_not_keys(kerberos_realm: KerberosRealm) -> None:
    text = kerberos_chain(kerberos_realm).describe()
    assert "HTTP/localhost@KRBTEST.COM" in text
