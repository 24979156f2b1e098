"""The fault runs share the session's Kerberos realm and OpenID provider (tests/conftest.py)."""

from __future__ import annotations

import pytest

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider


@pytest.fixture(scope="session")
def shared_realm(kerberos_realm: KerberosRealm) -> KerberosRealm:
    return kerberos_realm


@pytest.fixture(scope="session")
def shared_provider(openid_provider: OpenIDProvider) -> OpenIDProvider:
    return openid_provider
