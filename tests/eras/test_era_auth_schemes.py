"""The era, not the target file, decides which auth schemes are checked (Kerberos is gone from armada-2026)."""

from __future__ import annotations

import pytest

from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.results import Outcome
from conformance.runner import run_check
from conformance.target import Identity, SchemeSettings, Target

UNREACHABLE = "127.0.0.1:9"  # nothing is called: the era decides before any request


def _outcomes(profile: str, with_kerberos: bool) -> dict[str, tuple[Outcome, str]]:
    schemes = {}
    if with_kerberos:
        identity = Identity("kerberos", "alice", lambda: "Negotiate abc")
        schemes["kerberos"] = SchemeSettings("kerberos", identity, identity)
    target = Target(name="t", grpc=UNREACHABLE, rest=None, profile=profile, schemes=schemes, timeout=1)
    ctx = RunContext(target)
    try:
        checks = [c for c in select(catalogue(), profile, ["AUTH"]) if c.id.startswith("AUTH-KERBEROS-")]
        return {c.id: (r.outcome, r.message) for c in checks for r in [run_check(c, ctx)]}
    finally:
        ctx.close()


def test_kerberos_configured_for_an_armada_2026_target_is_not_offered_and_says_why() -> None:
    outcomes = _outcomes("armada-2026", with_kerberos=True)
    assert outcomes and {outcome for outcome, _ in outcomes.values()} == {Outcome.NOT_OFFERED}
    assert all("armada-2026 has no kerberos authentication" in message for _, message in outcomes.values())
    assert all("[auth.kerberos] is not used" in message for _, message in outcomes.values())


@pytest.mark.parametrize(
    ("profile", "outcome"), [("armada-2023", Outcome.NOT_CONFIGURED), ("current", Outcome.NOT_OFFERED)]
)
def test_without_a_kerberos_table_the_era_still_decides_the_outcome(profile: str, outcome: Outcome) -> None:
    outcomes = _outcomes(profile, with_kerberos=False)
    assert outcomes and {found for found, _ in outcomes.values()} == {outcome}
