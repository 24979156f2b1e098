"""A scheme the judged release lacks is "not offered" with the reason; a build that has it says so and is checked."""

from __future__ import annotations

import pytest

from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.results import Outcome
from conformance.runner import run_check
from conformance.target import Identity, SchemeSettings, Target

UNREACHABLE = "127.0.0.1:9"  # every call fails: what matters is how the outcome is worded
WANTED = ("AUTH-KERBEROS-MISSING-GRPC", "AUTH-KERBEROS-BADTOKEN-GRPC")


def _results(profile: str, with_kerberos: bool, features: dict[str, bool] | None = None) -> dict[str, tuple]:
    schemes = {}
    if with_kerberos:
        identity = Identity("kerberos", "alice", lambda: "Negotiate abc")
        schemes["kerberos"] = SchemeSettings("kerberos", identity, identity)
    target = Target(
        name="t", grpc=UNREACHABLE, rest=None, profile=profile, schemes=schemes, timeout=1, features=features or {}
    )
    ctx = RunContext(target)
    try:
        checks = [c for c in select(catalogue(), None, ["AUTH"]) if c.id in WANTED]
        assert len(checks) == len(WANTED)
        return {c.id: (r.outcome, r.message) for c in checks for r in [run_check(c, ctx)]}
    finally:
        ctx.close()


@pytest.mark.parametrize("with_kerberos", [True, False])
def test_kerberos_on_a_release_without_it_is_not_offered_and_says_since_when(with_kerberos: bool) -> None:
    results = _results("armada-2026", with_kerberos)
    assert {outcome for outcome, _ in results.values()} == {Outcome.NOT_OFFERED}
    for _, message in results.values():
        assert "lacks kerberos" in message and "before v0.4.20" in message and "[target.features]" in message


def test_a_build_with_kerberos_is_checked_by_its_override() -> None:
    results = _results("armada-2026", True, {"kerberos": True})
    assert {outcome for outcome, _ in results.values()} == {Outcome.FAILED}  # unreachable: judged, not excused


def test_a_release_with_kerberos_checks_the_claim_or_says_not_configured() -> None:
    assert {o for o, _ in _results("v0.4.19", True).values()} == {Outcome.FAILED}
    assert {o for o, _ in _results("armada-2023", False).values()} == {Outcome.NOT_CONFIGURED}
