"""Issue 13 item 15: the embedded target and the target file ``serve`` writes leave no AUTH check
"not configured", and Kerberos ``alice`` is the documented admin.

The ``serve`` case goes the way a user does: the written target file, with the
exported secrets in the environment, loaded by ``load_target`` like any deployment's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from conformance.checks import catalogue
from conformance.context import RunContext
from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import ADMIN, EmbeddedEnvironment
from conformance.results import Outcome
from conformance.runner import run_check
from conformance.target import Target, load_target


@pytest.fixture(scope="module")
def environment(kerberos_realm: KerberosRealm, openid_provider: OpenIDProvider) -> Iterator[EmbeddedEnvironment]:
    with EmbeddedEnvironment(realm=kerberos_realm, provider=openid_provider) as running:
        yield running


def _auth_outcomes(target: Target) -> dict[str, tuple[Outcome, str]]:
    ctx = RunContext(target)
    try:
        results = [run_check(check, ctx) for check in catalogue() if check.category == "AUTH"]
    finally:
        ctx.cleanup()
        ctx.close()
    return {r.id: (r.outcome, r.message) for r in results}


def _assert_all_judged(outcomes: dict[str, tuple[Outcome, str]]) -> None:
    unjudged = {i: m for i, (o, m) in outcomes.items() if o is Outcome.NOT_CONFIGURED}
    failed = {i: m for i, (o, m) in outcomes.items() if o is Outcome.FAILED}
    assert unjudged == {}
    assert failed == {}


def test_the_embedded_target_configures_every_auth_identity(environment: EmbeddedEnvironment) -> None:
    _assert_all_judged(_auth_outcomes(environment.target()))


def test_the_serve_target_file_configures_every_auth_identity(
    environment: EmbeddedEnvironment, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for line in environment.credentials_lines():
        name, value = re.fullmatch(r"export (\w+)='([^']*)'.*", line).groups()  # type: ignore[union-attr]
        monkeypatch.setenv(name, value)
    path = tmp_path / "embedded-target.toml"
    path.write_text(environment.target_file())
    _assert_all_judged(_auth_outcomes(load_target(path)))


async def test_kerberos_alice_is_admin(environment: EmbeddedEnvironment) -> None:
    assert environment.realm is not None and environment.server is not None
    chain = environment.server.server.chain
    outcome = await chain.authenticate(environment.realm.negotiate(ADMIN))
    assert outcome.principal.name == ADMIN and "admins" in outcome.principal.groups
