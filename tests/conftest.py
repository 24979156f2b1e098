"""What every test directory shares: one real KDC and one real OpenID provider per test process.

Each takes seconds to start (the KDC also seconds to make an expired ticket, which it
builds once), so a pytest-xdist worker starts at most one of each, on first use, and
every directory's tests use it: tests/auth, tests/hardening, tests/faults, tests/eras,
tests/cleanup. A test that needs its own (another realm name, users the set-up lacks)
starts it itself. To use them: ask for the ``kerberos_realm`` / ``openid_provider``
fixtures, or pass them to ``EmbeddedEnvironment(realm=..., provider=...)``.

The realm's users are the ones both the auth tests (``alice``, ``bob``, ``carol``) and the
embedded set-up (``conformance.embedded.ADMIN`` / ``LOW``) use.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.credentials.kerberos import DEFAULT_USERS, KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import ADMIN, LOW

REALM_USERS = tuple(dict.fromkeys((*DEFAULT_USERS, ADMIN, LOW)))


@pytest.fixture(scope="session")
def kerberos_realm() -> Iterator[KerberosRealm]:
    with KerberosRealm(users=REALM_USERS) as realm:
        yield realm


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider() as provider:
        yield provider


@pytest.fixture(scope="session")
def expired_negotiate(kerberos_realm: KerberosRealm) -> str:
    """Built once: it waits out a 1 s ticket plus the realm's clock skew."""
    return kerberos_realm.expired_negotiate(ADMIN)
