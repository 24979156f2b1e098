"""Every conformance check can fail: each reference-server fault fails exactly its checks.

Each fault declares, beside its switch in ``reference_server.faults``, the checks it
breaks (fnmatch patterns over IDs, minus ``spares``) and those it makes "not offered".
Every other check must pass, and every check ID must be broken by at least one fault,
so a check that cannot fail is caught here. That the healthy server passes everything
is proven by the contract flavour's whole run in tests/eras/test_flavours.py (the same
run: the embedded contract server judged as the current era; made once for both).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import Check, catalogue
from conformance.embedded import EmbeddedEnvironment
from conformance.options import RunOptions
from conformance.report.json_report import write_json
from conformance.results import Figure, Outcome, RunReport
from conformance.runner import run_suite
from conformance.target import TargetOverrides
from reference_server.faults import CATALOGUE, Fault

# THROUGHPUT workload of every fault run: small, so each run stays quick.
THROUGHPUT_SMALL = {"events": 200, "jobs": 20, "watchers": 2, "batch_size": 5}
# A plausible healthy baseline that a throttled server falls far short of (regression gate).
SLOW_BASELINE = RunReport(
    target={},
    profile="current",
    suite_version="baseline",
    started="2026-01-01T00:00:00Z",
    finished="2026-01-01T00:01:00Z",
    machine={},
    verdict="pass",
    figures=[Figure(f"THROUGHPUT-Replay-{t}", "replay", 5000.0, "events/s", t.lower()) for t in ("GRPC", "REST")],
)
# Gate options a fault run needs beyond the small workload (the fault's checks are gates).
OPTIONS: dict[str, dict[str, Any]] = {
    "slow-event-stream": {
        "min_events_per_second": 5000,
        "max_p99_ms": 15,
        "max_regression": 0.5,
        "baseline": SLOW_BASELINE,
    },
}
# Faults whose broken streams never end, or whose awaited event never comes: every check they break
# waits out the call timeout (the throughput consumers twice that), so their runs use a shorter one
# (still hundreds of times what a healthy answer takes); every other run keeps 4 s of margin.
CALL_TIMEOUT_S = 4.0
HANGING_CALL_TIMEOUT_S = {
    "watch-false-hangs": 1.5,
    "events-lost-under-load": 2.0,
    "no-cancelled-event": 2.0,  # SEMANTICS-CancelJobs and -JobDetailsAgree wait for a cancelled event
    "job-status-stale": 2.0,  # SEMANTICS-JobStatusFollowsEvents and -JobDetailsAgree wait for a status to follow
}
ALWAYS_NOT_OFFERED = {"SURFACE-Event.Watch-GRPC"}  # the reference server, like Armada, serves no Watch
# SWAGGER-Schemathesis with its default cases (5 positive, 4 negative per operation) takes ~10 s of a run.
# A fault that does not break it only needs it to pass, which a smaller run shows; a fault that breaks it
# keeps the defaults, so the failure is found as a real run finds it (and the healthy run keeps them too).
FUZZ_SMALL = {"max_examples": 2}
# What turns the gate red: failed, or error (a fault that stops the suite setting a check up breaks it too).
RED = frozenset({Outcome.FAILED, Outcome.ERROR})


def _matching(checks: list[Check], patterns: Iterable[str], excluded: Iterable[str] = ()) -> set[str]:
    return {
        c.id
        for c in checks
        if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)
        and not any(fnmatch.fnmatchcase(c.id, p) for p in excluded)
    }


def touched_categories(fault: Fault) -> tuple[str, ...]:
    """The categories holding a check the fault declares it breaks or makes not offered."""
    checks = catalogue()
    touched = _matching(checks, (*fault.breaks, *fault.not_offered))
    return tuple(sorted({c.category for c in checks if c.id in touched}))


def _run(
    environment: EmbeddedEnvironment,
    tmp: Path,
    only: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
    timeout: float = CALL_TIMEOUT_S,
) -> RunReport:
    """One run through the runner, as the CLI does it, narrowed to ``only``; no report files."""
    # margin for a loaded CI machine; faults that hang cost this much per check
    target = environment.target(None, TargetOverrides(timeout=timeout))  # judged as what it is: the contract
    extra = dict(options or {})
    if "baseline" in extra:
        extra["baseline"] = str(write_json(extra["baseline"], tmp / "baseline.json"))
    report = run_suite(target, RunOptions(only=only, report_dir=None, **THROUGHPUT_SMALL, **extra))
    if report.interrupted:  # Ctrl-C: the runner cleaned up; stop the test session too
        raise KeyboardInterrupt
    return report


def _outcomes(report: RunReport) -> dict[str, Outcome]:
    """The catalogue's checks (a regression against the baseline is a BASELINE-<id> result beside them)."""
    return {r.id: r.outcome for r in report.results if r.category != "BASELINE"}


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


@pytest.mark.parametrize("fault", sorted(CATALOGUE))
def test_a_fault_fails_exactly_its_checks(fault: str, environment_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Within the categories the fault touches (the healthy run, tests/eras/test_flavours.py, covers the rest)."""
    checks = catalogue()
    declared = CATALOGUE[fault]
    categories = touched_categories(declared)
    should_fail = _matching(checks, declared.breaks, declared.spares)
    should_not_offer = _matching(checks, declared.not_offered) | ALWAYS_NOT_OFFERED
    outcomes = _outcomes(
        _run(
            environment_with(fault),
            tmp_path,
            categories,
            {**({} if "SWAGGER-Schemathesis" in should_fail else FUZZ_SMALL), **OPTIONS.get(fault, {})},
            HANGING_CALL_TIMEOUT_S.get(fault, CALL_TIMEOUT_S),
        )
    )
    assert {c.id for c in checks if c.category in categories} == set(outcomes)
    failed = {i for i, o in outcomes.items() if o in RED}
    not_offered = {i for i, o in outcomes.items() if o is Outcome.NOT_OFFERED}
    assert sorted(failed - should_fail) == [], "checks failed that the fault should not break"
    assert sorted(should_fail - failed) == [], "checks passed although the fault breaks what they check"
    assert not_offered == should_not_offer & set(outcomes)


def test_every_fault_names_checks() -> None:
    checks = catalogue()
    for fault in CATALOGUE.values():
        assert _matching(checks, (*fault.breaks, *fault.not_offered)), f"{fault.name} names no check"
    assert set(OPTIONS) <= set(CATALOGUE) and set(HANGING_CALL_TIMEOUT_S) <= set(CATALOGUE)


def test_every_check_is_failed_by_some_fault() -> None:
    checks = catalogue()
    covered = set().union(*(_matching(checks, f.breaks, f.spares) for f in CATALOGUE.values()))
    uncovered = sorted({c.id for c in checks} - covered - {"SURFACE-Event.Watch-GRPC"})
    assert uncovered == [], f"checks that no fault makes fail: {uncovered}"
