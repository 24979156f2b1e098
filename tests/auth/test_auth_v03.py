"""Armada v0.3.x's authentication (the armada-2023 flavour), against a real KDC.

``internal/common/auth/setup.go``: anonymous comes before Kerberos, and admits every call
that reaches it, so with anonymous on Kerberos never sees a call. ``authorization/
kerberos.go``: a token that cannot be decoded or unmarshalled is refused without a
``WWW-Authenticate`` challenge (the contract challenges every refusal).
"""

from __future__ import annotations

import base64

import pytest
from auth_kit import refusal

from conformance.credentials.kerberos import KerberosRealm
from reference_server.auth import build_chain
from reference_server.flavours import flavour

UNPARSABLE = ["Negotiate !!!not-base64", "Negotiate " + base64.b64encode(b"not a SPNEGO token").decode()]


async def test_with_anonymous_on_kerberos_never_sees_a_call(kerberos_realm: KerberosRealm) -> None:
    table = {"kerberos": kerberos_realm.auth_table(), "anonymous": True}
    v03 = build_chain(table, chosen=flavour("armada-2023"))
    assert [s.name for s in v03.schemes] == ["anonymous", "kerberos"]
    assert (await v03.authenticate(kerberos_realm.negotiate("alice"))).principal.name == "anonymous"
    assert (await v03.authenticate(UNPARSABLE[1])).principal.name == "anonymous"
    contract = build_chain(table)
    assert (await contract.authenticate(kerberos_realm.negotiate("alice"))).principal.name == "alice"


@pytest.mark.parametrize("value", UNPARSABLE, ids=["not-base64", "not-spnego"])
async def test_an_unparsable_token_gets_no_challenge_in_v03(kerberos_realm: KerberosRealm, value: str) -> None:
    table = {"order": ["kerberos"], "kerberos": kerberos_realm.auth_table()}
    assert (await refusal(build_chain(table, chosen=flavour("armada-2023")), value)).www_authenticate is None
    assert (await refusal(build_chain(table), value)).www_authenticate == "Negotiate"


async def test_a_refusal_after_parsing_is_still_challenged_in_v03(kerberos_realm: KerberosRealm) -> None:
    table = {"order": ["kerberos"], "kerberos": kerberos_realm.auth_table()}
    chain = build_chain(table, chosen=flavour("armada-2023"))
    error = await refusal(chain, kerberos_realm.negotiate_for_wrong_service("alice"))
    assert error.www_authenticate == "Negotiate"
