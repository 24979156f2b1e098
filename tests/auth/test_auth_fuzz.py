"""Random and truncated Authorization values: AuthenticationError or success, nothing else.

The chain turns an unexpected exception into AuthenticationError too, but logs it as a
bug; the log is checked so that the safety net cannot hide a scheme that crashes.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from auth_kit import basic_header
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from reference_server.auth import AuthenticationError, build_chain
from reference_server.auth.chain import AuthChain

SCHEMES = ["Basic", "Bearer", "Negotiate", "basic", "BEARER", "negotiate", "Digest", ""]


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A private loop: hypothesis drives a synchronous test body."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def full_chain(openid_provider: OpenIDProvider, kerberos_realm: KerberosRealm) -> AuthChain:
    table: dict[str, Any] = {
        "order": ["basic", "oidc", "kerberos", "anonymous"],
        "anonymous": True,
        "basic": {"users": {"alice": {"password": "alice-password", "groups": []}}},
        "oidc": openid_provider.auth_table(),
        "kerberos": kerberos_realm.auth_table(),
    }
    return build_chain(table)


@pytest.fixture(scope="module")
def genuine_values(openid_provider: OpenIDProvider, kerberos_realm: KerberosRealm) -> list[str]:
    return [
        basic_header("alice", "alice-password"),
        openid_provider.bearer("alice", ["g"]),
        kerberos_realm.negotiate("alice"),
    ]


def _outcome(loop: asyncio.AbstractEventLoop, chain: AuthChain, value: str) -> str:
    try:
        return loop.run_until_complete(chain.authenticate(value)).principal.name
    except AuthenticationError as exc:
        assert str(exc)
        return "refused"


def _assert_no_bug_logged(caplog: pytest.LogCaptureFixture) -> None:
    bugs = [record for record in caplog.records if "failed unexpectedly" in record.getMessage()]
    assert not bugs, bugs[0].getMessage()


_payloads = st.one_of(
    st.text(max_size=120),
    st.binary(max_size=200).map(lambda raw: base64.b64encode(raw).decode()),
    st.lists(
        st.binary(max_size=60).map(lambda r: base64.urlsafe_b64encode(r).decode().rstrip("=")), min_size=1, max_size=4
    ).map(".".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scheme=st.sampled_from(SCHEMES), payload=_payloads)
def test_random_values(
    loop: asyncio.AbstractEventLoop, full_chain: AuthChain, caplog: pytest.LogCaptureFixture, scheme: str, payload: str
) -> None:
    with caplog.at_level(logging.ERROR):
        assert _outcome(loop, full_chain, f"{scheme} {payload}") in {"refused", "anonymous"}
    _assert_no_bug_logged(caplog)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_and_flipped_genuine_values(
    loop: asyncio.AbstractEventLoop,
    full_chain: AuthChain,
    genuine_values: list[str],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    value = data.draw(st.sampled_from(genuine_values))
    cut = data.draw(st.integers(min_value=0, max_value=len(value) - 1))
    flip = data.draw(st.integers(min_value=0, max_value=len(value) - 1))
    mutated = value[:flip] + chr((ord(value[flip]) + 1) % 128) + value[flip + 1 :]
    with caplog.at_level(logging.ERROR):
        for candidate in (value[:cut], mutated):
            assert _outcome(loop, full_chain, candidate) in {"refused", "alice", "anonymous"}
    _assert_no_bug_logged(caplog)
