"""A scheme the target file configures is checked whatever the era; a failure says when the era lacks it."""

from __future__ import annotations

import pytest

from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.results import Outcome
from conformance.runner import run_check
from conformance.target import Identity, SchemeSettings, Target

UNREACHABLE = "127.0.0.1:9"  # every call fails: what matters is how the failure is worded


def _results(profile: str, with_kerberos: bool) -> dict[str, tuple[Outcome, str]]:
    schemes = {}
    if with_kerberos:
        identity = Identity("kerberos", "alice", lambda: "Negotiate abc")
        schemes["kerberos"] = SchemeSettings("kerberos", identity, identity)
    target = Target(name="t", grpc=UNREACHABLE, rest=None, profile=profile, schemes=schemes, timeout=1)
    ctx = RunContext(target)
    try:
        wanted = ("AUTH-KERBEROS-MISSING-GRPC", "AUTH-KERBEROS-BADTOKEN-GRPC")
        checks = [c for c in select(catalogue(), profile, ["AUTH"]) if c.id in wanted]
        assert len(checks) == len(wanted)
        return {c.id: (r.outcome, r.message) for c in checks for r in [run_check(c, ctx)]}
    finally:
        ctx.close()


@pytest.mark.parametrize(("profile", "hinted"), [("armada-2026", True), ("armada-2023", False)])
def test_a_failing_kerberos_claim_names_the_era_that_has_no_kerberos(profile: str, hinted: bool) -> None:
    results = _results(profile, with_kerberos=True)
    assert {outcome for outcome, _ in results.values()} == {Outcome.FAILED}
    hint = "armada-2026 servers have no kerberos authentication: is [auth.kerberos] meant for this target?"
    assert all((hint in message) is hinted for _, message in results.values())


@pytest.mark.parametrize("profile", ["armada-2023", "armada-2026"])
def test_without_a_kerberos_table_the_checks_are_not_configured(profile: str) -> None:
    results = _results(profile, with_kerberos=False)
    assert {outcome for outcome, _ in results.values()} == {Outcome.NOT_CONFIGURED}
