"""One real KDC and one real OpenID provider per test session, shared by tests/auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from auth_kit import BASIC_USERS

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider


@pytest.fixture(scope="session")
def kerberos_realm() -> Iterator[KerberosRealm]:
    with KerberosRealm() as realm:
        yield realm


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider() as provider:
        yield provider


@pytest.fixture(scope="session")
def expired_negotiate(kerberos_realm: KerberosRealm) -> str:
    """Built once: it waits out a 1 s ticket plus the realm's clock skew."""
    return kerberos_realm.expired_negotiate("alice")


@pytest.fixture
def basic_table() -> dict[str, Any]:
    return {"users": {name: dict(entry) for name, entry in BASIC_USERS.items()}}
