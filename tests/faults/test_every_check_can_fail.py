"""Every conformance check can fail: each reference-server fault fails exactly its checks.

Each fault declares, beside its switch in ``reference_server.faults``, the checks it
breaks (fnmatch patterns over IDs, minus ``spares``) and those it makes "not offered".
Every other check must pass, the healthy server must pass everything, and every check
ID must be broken by at least one fault, so a check that cannot fail is caught here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from conformance.checks import Check, catalogue
from conformance.context import RunContext
from conformance.embedded import EmbeddedEnvironment
from conformance.results import Figure, Outcome, RunReport
from conformance.runner import run_check
from reference_server.faults import CATALOGUE

# THROUGHPUT workload of every fault run: small, so each run stays quick.
THROUGHPUT_SMALL = {"events": 200, "jobs": 20, "watchers": 2, "batch_size": 5}
# A plausible healthy baseline that a throttled server falls far short of (regression gate).
SLOW_BASELINE = RunReport(target={}, profile="current", suite_version="", started="baseline", finished="",
                          machine={}, figures=[Figure(f"THROUGHPUT-Replay-{t}", "replay", 5000.0, "events/s", t.lower())
                                               for t in ("GRPC", "REST")])
# Gate options a fault run needs beyond the small workload (the fault's checks are gates).
OPTIONS: dict[str, dict[str, Any]] = {
    "slow-event-stream": {"min_events_per_second": 5000, "max_p99_ms": 15, "max_regression": 0.5,
                          "baseline": SLOW_BASELINE},
}


def _matching(checks: list[Check], patterns: Iterable[str], excluded: Iterable[str] = ()) -> set[str]:
    return {c.id for c in checks if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)
            and not any(fnmatch.fnmatchcase(c.id, p) for p in excluded)}


def _run_all(environment: EmbeddedEnvironment, options: dict[str, Any] | None = None) -> dict[str, Outcome]:
    target = environment.target("current")
    target.timeout = 4.0  # margin for a loaded CI machine; faults that hang cost this much per check
    ctx = RunContext(target, options={**THROUGHPUT_SMALL, **(options or {})})
    try:
        return {check.id: run_check(check, ctx).outcome for check in catalogue()}
    finally:
        ctx.cleanup()
        ctx.close()


@pytest.fixture
def environment_with(shared_realm, shared_provider) -> Iterator:  # type: ignore[no-untyped-def]
    started: list[EmbeddedEnvironment] = []

    def start(*faults: str) -> EmbeddedEnvironment:
        environment = EmbeddedEnvironment(faults=faults, realm=shared_realm, provider=shared_provider).__enter__()
        started.append(environment)
        return environment

    yield start
    for environment in started:
        environment.__exit__(None, None, None)


def test_the_healthy_server_passes_every_check(environment_with) -> None:  # type: ignore[no-untyped-def]
    outcomes = _run_all(environment_with())
    failed = sorted(i for i, o in outcomes.items() if o is Outcome.FAILED)
    assert failed == []
    assert {i for i, o in outcomes.items() if o is Outcome.NOT_OFFERED} == {"SURFACE-Event.Watch-GRPC"}


@pytest.mark.parametrize("fault", sorted(CATALOGUE))
def test_a_fault_fails_exactly_its_checks(fault: str, environment_with) -> None:  # type: ignore[no-untyped-def]
    checks = catalogue()
    declared = CATALOGUE[fault]
    should_fail = _matching(checks, declared.breaks, declared.spares)
    should_not_offer = _matching(checks, declared.not_offered) | {"SURFACE-Event.Watch-GRPC"}
    outcomes = _run_all(environment_with(fault), OPTIONS.get(fault))
    failed = {i for i, o in outcomes.items() if o is Outcome.FAILED}
    not_offered = {i for i, o in outcomes.items() if o is Outcome.NOT_OFFERED}
    assert sorted(failed - should_fail) == [], "checks failed that the fault should not break"
    assert sorted(should_fail - failed) == [], "checks passed although the fault breaks what they check"
    assert not_offered == should_not_offer


def test_every_fault_names_checks() -> None:
    checks = catalogue()
    for fault in CATALOGUE.values():
        assert _matching(checks, (*fault.breaks, *fault.not_offered)), f"{fault.name} names no check"
    assert set(OPTIONS) <= set(CATALOGUE)


def test_every_check_is_failed_by_some_fault() -> None:
    checks = catalogue()
    covered = set().union(*(_matching(checks, f.breaks, f.spares) for f in CATALOGUE.values()))
    uncovered = sorted({c.id for c in checks} - covered - {"SURFACE-Event.Watch-GRPC"})
    assert uncovered == [], f"checks that no fault makes fail: {uncovered}"
