"""Issue 13 item 3: garbage tokens cannot flush the Kerberos replay cache.

The attack: the cache is bounded and evicts its oldest entry, so if every presented
token were recorded, a burst of garbage would push a genuine token out and the token
could then be replayed (with MIT's own replay cache off, ``KRB5RCACHETYPE=none``, as
some deployments run). Only tokens GSSAPI accepted may be recorded.
"""

from __future__ import annotations

import base64
import secrets

import pytest

from conformance.credentials.kerberos import KerberosRealm
from reference_server.auth import AuthenticationError
from reference_server.auth.base import Credentials
from reference_server.auth.kerberos import KerberosScheme, build
from reference_server.auth.replay import ReplayCache

CAPACITY = 16


def _scheme(realm: KerberosRealm, cache: ReplayCache) -> KerberosScheme:
    scheme = build(realm.auth_table())
    return KerberosScheme(scheme.settings, replays=cache)


def _credentials(header: str) -> Credentials:
    return Credentials("negotiate", header.partition(" ")[2])


def _garbage() -> Credentials:
    return Credentials("negotiate", base64.b64encode(b"\x60\x82" + secrets.token_bytes(40)).decode())


async def test_refused_tokens_are_never_recorded(kerberos_realm: KerberosRealm) -> None:
    cache = ReplayCache(max_entries=CAPACITY)
    scheme = _scheme(kerberos_realm, cache)
    for _ in range(CAPACITY * 4):
        with pytest.raises(AuthenticationError):
            await scheme.authenticate(_garbage())
    assert len(cache) == 0
    await scheme.authenticate(_credentials(kerberos_realm.negotiate("alice")))
    assert len(cache) == 1


async def test_garbage_cannot_flush_a_genuine_token_out(
    kerberos_realm: KerberosRealm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRB5RCACHETYPE", "none")  # only our cache stands between a replay and success
    cache = ReplayCache(max_entries=CAPACITY)
    scheme = _scheme(kerberos_realm, cache)
    genuine = _credentials(kerberos_realm.negotiate("alice"))
    assert (await scheme.authenticate(genuine)).principal.name == "alice"
    for _ in range(CAPACITY * 4):
        with pytest.raises(AuthenticationError):
            await scheme.authenticate(_garbage())
    with pytest.raises(AuthenticationError, match="replay"):
        await scheme.authenticate(genuine)


async def test_concurrent_uses_of_one_token_admit_one(
    kerberos_realm: KerberosRealm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both uses pass GSSAPI (MIT's cache off); recording after the accept lets only one through."""
    import asyncio

    monkeypatch.setenv("KRB5RCACHETYPE", "none")
    scheme = _scheme(kerberos_realm, ReplayCache())
    genuine = _credentials(kerberos_realm.negotiate("alice"))
    outcomes = await asyncio.gather(*(scheme.authenticate(genuine) for _ in range(4)), return_exceptions=True)
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, AuthenticationError) for o in outcomes if isinstance(o, BaseException))
