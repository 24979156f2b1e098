"""--max-examples, --seed and --fuzz-budget change what SWAGGER-Schemathesis does, against the embedded server.

Each run opens the embedded reference server through the runner (``prepare`` ->
``open_run`` -> ``run_check``) so the check's own statistics can be read from the
run's context afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks.swagger.fuzz import FUZZ_EXAMPLES
from conformance.options import RunOptions
from conformance.results import CheckResult, Outcome
from conformance.runner import open_run, prepare, run_check
from conformance.settings import RunSettings

CHECK = "SWAGGER-Schemathesis"


def fuzz(**options: Any) -> tuple[CheckResult, Any]:
    plan = prepare(None, RunOptions(only=(CHECK,), report_dir=None, **options))
    with open_run(plan) as opened:
        result = run_check(plan.checks[0], opened.ctx)
        return result, opened.ctx.swagger_fuzz_stats


def test_max_examples_sets_the_cases_per_operation_and_mode() -> None:
    """One case per operation and mode reaches every operation within the default budget (the default
    caps, 5 and 4 cases, need longer than that on a busy machine: the budget note below then says so)."""
    one, stats = fuzz(max_examples=1)
    assert one.outcome is Outcome.PASSED and one.message == ""
    assert not stats.cut and stats.over_budget == 0
    assert 0 < stats.sent <= len(stats.operations)  # at most one case per operation and mode


def test_a_budget_that_cuts_the_run_short_is_said_in_the_message() -> None:
    result, stats = fuzz(max_examples=1, fuzz_budget=0.001)
    assert result.outcome is Outcome.PASSED
    assert stats.cut
    assert result.message.startswith(
        "the time budget of 0.001 s cut the run short: "
        f"{len(stats.cut)} of {len(stats.cut) + len(stats.operations)} operation/mode"
    )


def test_a_seeded_failure_names_its_seed_to_reproduce_it() -> None:
    result, _ = fuzz(max_examples=2, seed=1234, faults=("rest-500-on-bad-input",))
    assert result.outcome is Outcome.FAILED
    assert ", seed 1234): " in result.message and result.evidence["seed"] == 1234


@pytest.mark.parametrize(
    ("given", "mode", "op_id", "examples"),
    [
        ({}, "positive", "GetQueue", FUZZ_EXAMPLES["positive"]),
        ({}, "positive", "SubmitJobs", 2),
        ({"max_examples": 7}, "negative", "SubmitJobs", 7),
    ],
)
def test_settings_defaults_and_overrides(given: dict[str, Any], mode: str, op_id: str, examples: int) -> None:
    assert RunSettings.given(**given).fuzz.examples(mode, op_id) == examples
