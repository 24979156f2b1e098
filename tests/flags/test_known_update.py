"""--known-failures-update: a starting file that parses, quotes anything, keeps accepted reasons, leaks nothing."""

from __future__ import annotations

from conformance.report import parse_known_failures
from conformance.report.gate import mark_known
from conformance.report.known_update import TODO, known_failures_toml
from conformance.results import CheckResult, Outcome, RunReport, Severity

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz"


def _report(*results: CheckResult) -> RunReport:
    return RunReport(
        target={"name": "staging"},
        profile="current",
        suite_version="0",
        started="2026-01-01T00:00:00Z",
        finished="2026-01-01T00:01:00Z",
        machine={},
        results=list(results),
    )


def _result(check_id: str, outcome: Outcome, message: str = "") -> CheckResult:
    return CheckResult(check_id, "AUTH", "r", Severity.REQUIRED, outcome, message=message)


def test_failures_become_entries_with_todo_reasons_and_accepted_ones_keep_theirs() -> None:
    [known] = parse_known_failures('[[known_failure]]\nid = "AUTH-B"\nreason = "OPS-7: gateway bug"\n')
    accepted = mark_known(_result("AUTH-B", Outcome.FAILED, "still broken"), [known])
    text = known_failures_toml(
        _report(
            _result("AUTH-A", Outcome.FAILED, 'said "no" \\ \\n\nthen\ttabs; Authorization: Bearer ' + TOKEN),
            accepted,
            _result("AUTH-C", Outcome.PASSED),
            _result("AUTH-D", Outcome.SKIPPED, "read-only"),
        )
    )
    entries = parse_known_failures(text, "written")
    assert [(e.id, e.reason.split(":")[0]) for e in entries] == [("AUTH-A", "TODO"), ("AUTH-B", "OPS-7")]
    assert entries[0].reason.startswith(TODO) and 'said "no"' in entries[0].reason
    assert entries[1].reason == "OPS-7: gateway bug"
    assert TOKEN not in text


def test_a_run_without_failures_writes_a_valid_empty_file() -> None:
    text = known_failures_toml(_report(_result("AUTH-C", Outcome.PASSED)))
    assert parse_known_failures(text) == [] and "No check failed" in text
