"""One pytest test per catalogue check; the plugin parametrizes ``check`` from the catalogue."""

from __future__ import annotations

import pytest

from conformance.checks import Check
from conformance.context import RunContext
from conformance.plugin import record
from conformance.results import Outcome
from conformance.runner import run_check


def test_check(check: Check, armada_context: RunContext, request: pytest.FixtureRequest) -> None:
    # THROUGHPUT checks time their central step with pytest-benchmark when it is installed (one
    # fixture per test: the check's first measurement); other checks never touch the fixture.
    timed = check.category == "THROUGHPUT" and request.config.pluginmanager.hasplugin("benchmark")
    armada_context.benchmark = request.getfixturevalue("benchmark") if timed else None  # type: ignore[attr-defined]
    try:
        result = run_check(check, armada_context)
    finally:
        armada_context.benchmark = None  # type: ignore[attr-defined]
    expected_reason = record(request.config, result)
    if result.outcome is Outcome.FAILED:
        if expected_reason is not None:
            pytest.xfail(f"known failure: {expected_reason}")
        pytest.fail(f"{check.id}: {result.message}", pytrace=False)
    if result.outcome is not Outcome.PASSED:
        pytest.skip(f"{result.outcome.value}: {result.message}")
