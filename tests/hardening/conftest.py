"""One real KDC and one real OpenID provider per session for the hardening tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
