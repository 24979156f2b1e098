"""One Kerberos realm and one OpenID provider for all the fault runs (they take seconds to start)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import ADMIN, LOW


@pytest.fixture(scope="session")
def shared_realm() -> Iterator[KerberosRealm]:
    with KerberosRealm(users=(ADMIN, LOW)) as realm:
        yield realm


@pytest.fixture(scope="session")
def shared_provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider() as provider:
        yield provider
