"""Known failures, baseline comparison and the exit-code rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from report_samples import check, make_report, rounds_of

from conformance.report import (
    KnownFailure,
    KnownFailuresError,
    apply_known_failures,
    compare_to_baseline,
    exit_code,
    gate_reasons,
    load_known_failures,
    parse_known_failures,
)
from conformance.report.baseline import regression_records
from conformance.report.gate import lower_is_better
from conformance.results import Figure, Outcome, RunReport, Severity

KNOWN = """\
# accepted until upstream fixes them
[[known_failure]]
id = "SURFACE-CancelJobs-REST"
reason = "gateway returns 500 on cancel, armadaproject/armada#4242"

[[known_failure]]
id = "SURFACE-SubmitJobs-GRPC"
reason = "was flaky in 0.19"

[[known_failure]]
id = "SURFACE-Renamed"
reason = "check renamed since"
"""


# --------------------------------------------------------------------------- known failures


def test_parse_known_failures_with_lines() -> None:
    known = parse_known_failures(KNOWN, "kf.toml")
    assert [(k.id, k.line) for k in known] == [
        ("SURFACE-CancelJobs-REST", 2),
        ("SURFACE-SubmitJobs-GRPC", 6),
        ("SURFACE-Renamed", 10),
    ]
    assert known[0].reason.startswith("gateway returns 500")


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('[[known_failure]]\nid = "A"\nreason = "r"\n[[known_failure]\n', 4, "not valid TOML"),
        ('[[known_failure]]\nid = "A"\nreason = \n', 3, "not valid TOML"),
        ('[[known_failure]]\nid = "A"\nreason = "r"\n\n[[known_failure]]\nid = "B"\n', 5, "non-empty string 'reason'"),
        ('[[known_failure]]\nid = "A"\nreason = "r"\nreson = "typo"\n', 1, "unknown key(s) ['reson']"),
        (
            '[[known_failure]]\nid = "A"\nreason = "r"\n[[known_failure]]\nid = "A"\nreason = "again"\n',
            4,
            "listed twice (first listed at line 1)",
        ),
        ('[[known_failure]]\nid = 3\nreason = "r"\n', 1, "non-empty string 'id'"),
    ],
)
def test_parse_errors_name_file_and_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(KnownFailuresError) as err:
        parse_known_failures(text, "ci/known.toml")
    assert err.value.line == line
    assert str(err.value).startswith(f"ci/known.toml:{line}: ")
    assert problem in str(err.value)


def test_unexpected_top_level_key_is_an_error() -> None:
    with pytest.raises(KnownFailuresError, match=r"^k\.toml: unexpected top-level key"):
        parse_known_failures('[[known_failures]]\nid = "A"\nreason = "r"\n', "k.toml")


def test_load_known_failures_reads_file_and_reports_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "known.toml"
    path.write_text(KNOWN, encoding="utf-8")
    assert len(load_known_failures(path)) == 3
    with pytest.raises(KnownFailuresError, match="cannot read"):
        load_known_failures(tmp_path / "absent.toml")


def test_apply_known_failures_expected_fixed_and_unmatched() -> None:
    report = make_report()
    applied = apply_known_failures(report, parse_known_failures(KNOWN))
    by_id = {r.id: r for r in applied.report.results}
    cancelled = by_id["SURFACE-CancelJobs-REST"]
    assert cancelled.outcome is Outcome.EXPECTED_FAILURE
    assert cancelled.message.startswith("Known failure: gateway returns 500")
    assert "got 500 Internal Server Error" in cancelled.message  # original reason kept
    assert applied.expected == ["SURFACE-CancelJobs-REST"]
    assert [k.id for k in applied.fixed] == ["SURFACE-SubmitJobs-GRPC"]
    assert by_id["SURFACE-SubmitJobs-GRPC"].outcome is Outcome.PASSED
    assert "remove it from the list" in by_id["SURFACE-SubmitJobs-GRPC"].message
    assert [k.id for k in applied.unmatched] == ["SURFACE-Renamed"]
    # The input is untouched, and only the other required failure is left to fail the gate.
    assert report.results[3].outcome is Outcome.FAILED
    assert [r.id for r in applied.report.failures()] == ["AUTH-BASIC-BADPW-REST"]


def test_known_failure_does_not_change_skipped_or_not_offered() -> None:
    report = make_report()
    known = [KnownFailure("SURFACE-GetQueue-GRPC", "r"), KnownFailure("SEMANTICS-DeleteQueue-GRPC", "r")]
    applied = apply_known_failures(report, known)
    assert applied.expected == [] and applied.fixed == []
    assert [r.outcome for r in applied.report.results] == [r.outcome for r in report.results]


def test_all_required_failures_known_makes_the_gate_green() -> None:
    report = make_report()
    known = [KnownFailure(r.id, "accepted") for r in report.failures()]
    assert exit_code(report) == 1
    assert exit_code(apply_known_failures(report, known).report) == 0


# --------------------------------------------------------------------------- baseline


def _with(report: RunReport, check_id: str, outcome: Outcome) -> RunReport:
    results = [dataclasses.replace(r, outcome=outcome) if r.id == check_id else r for r in report.results]
    return dataclasses.replace(report, results=results)


def test_baseline_new_failures_fixed_missing(passing_report: RunReport) -> None:
    baseline = _with(passing_report, "SURFACE-SubmitJobs-REST", Outcome.FAILED)
    current = _with(passing_report, "SURFACE-CancelJobs-GRPC", Outcome.FAILED)
    current = _with(current, "SURFACE-SubmitJobs-GRPC", Outcome.NOT_OFFERED)
    current.results.append(check("SURFACE-New", Outcome.FAILED))
    current.results = [r for r in current.results if r.id != "SWAGGER-Document"]
    comparison = compare_to_baseline(current, baseline)
    assert [c.id for c in comparison.new_failures] == ["SURFACE-CancelJobs-GRPC", "SURFACE-New"]
    assert comparison.new_failures[1].before is None
    assert [c.id for c in comparison.no_longer_offered] == ["SURFACE-SubmitJobs-GRPC"]
    assert [c.id for c in comparison.fixed] == ["SURFACE-SubmitJobs-REST"]
    assert comparison.missing == ["SWAGGER-Document"]
    assert [c.id for c in comparison.regressed_checks] == ["SURFACE-CancelJobs-GRPC", "SURFACE-SubmitJobs-GRPC"]
    assert comparison.regressed


def test_a_failure_already_in_the_baseline_is_not_new() -> None:
    report = make_report()
    comparison = compare_to_baseline(report, make_report())
    assert comparison.new_failures == [] and comparison.fixed == [] and not comparison.regressed
    assert exit_code(report, comparison) == 1  # still failing: the gate stays red


def test_recommended_regression_does_not_fail_the_gate(passing_report: RunReport) -> None:
    current = _with(passing_report, "PARITY-SubmitJobs", Outcome.FAILED)
    baseline = _with(passing_report, "PARITY-SubmitJobs", Outcome.PASSED)
    comparison = compare_to_baseline(current, baseline)
    assert [c.id for c in comparison.new_failures] == ["PARITY-SubmitJobs"]
    assert comparison.new_failures[0].severity is Severity.RECOMMENDED
    assert not comparison.regressed
    assert exit_code(current, comparison) == 0


def _figures(report: RunReport, **values: float) -> RunReport:
    """``report`` with some figures measured again at other values (their rounds moved with them)."""
    figures = []
    for f in report.figures:
        value = values.get(f.id.replace("-", "_"), f.value)
        figures.append(dataclasses.replace(f, value=value, rounds=[r * value / f.value for r in f.rounds]))
    return dataclasses.replace(report, figures=figures)


def test_a_figure_of_one_round_or_noisier_than_the_tolerance_is_never_a_regression(passing_report: RunReport) -> None:
    """A p99 of 50 jobs measured once "79 % worse" is noise until its rounds say otherwise."""
    current = _figures(passing_report, LATENCY_SUBMIT_P99=80.0, THROUGHPUT_REPLAY_REST=9_000.0)
    for figure in current.figures:
        if figure.id == "LATENCY-SUBMIT-P99":
            figure.rounds = []  # one round: its spread is unknown
        if figure.id == "THROUGHPUT-REPLAY-REST":
            figure.rounds = rounds_of(9_000.0, spread=0.5)  # 50 % apart across rounds
    comparison = compare_to_baseline(current, passing_report, tolerance=0.2)
    assert comparison.throughput_regressions == []
    assert {f.id for f in comparison.inconclusive_figures} == {"LATENCY-SUBMIT-P99", "THROUGHPUT-REPLAY-REST"}
    assert exit_code(current, comparison) == 0
    whys = {r["id"]: r["why"] for r in regression_records(comparison)}
    assert "one round" in whys["LATENCY-SUBMIT-P99"] and "spread 50%" in whys["THROUGHPUT-REPLAY-REST"]


def test_throughput_drop_beyond_tolerance_regresses(passing_report: RunReport) -> None:
    current = _figures(passing_report, THROUGHPUT_REPLAY_REST=9_000.0, THROUGHPUT_SUBMIT_GRPC=800.0)
    comparison = compare_to_baseline(current, passing_report, tolerance=0.2)
    assert [f.id for f in comparison.throughput_regressions] == ["THROUGHPUT-REPLAY-REST"]  # 28 % vs 11 %
    change = comparison.throughput_regressions[0]
    assert (change.before, change.after) == (12_500.0, 9_000.0) and change.change == pytest.approx(-0.28)
    assert exit_code(current, comparison) == 1
    assert any("dropped from 12500 to 9000 events/s (28% worse)" in r for r in gate_reasons(current, comparison))


def test_latency_rise_is_worse_and_drop_is_better(passing_report: RunReport) -> None:
    worse = compare_to_baseline(_figures(passing_report, LATENCY_SUBMIT_P99=60.0), passing_report)
    assert [f.id for f in worse.throughput_regressions] == ["LATENCY-SUBMIT-P99"]
    assert "rose from 42 to 60 ms" in gate_reasons(_figures(passing_report, LATENCY_SUBMIT_P99=60.0), worse)[0]
    better = compare_to_baseline(_figures(passing_report, LATENCY_SUBMIT_P99=10.0), passing_report)
    assert better.throughput_regressions == []
    assert lower_is_better("ms") and lower_is_better("s") and not lower_is_better("events/s")


def test_client_bound_drop_is_inconclusive_not_a_regression(passing_report: RunReport) -> None:
    current = _figures(passing_report, THROUGHPUT_REPLAY_GRPC=10_000.0)  # client-bound figure
    comparison = compare_to_baseline(current, passing_report)
    assert comparison.throughput_regressions == []
    assert [f.id for f in comparison.inconclusive_figures] == ["THROUGHPUT-REPLAY-GRPC"]
    assert exit_code(current, comparison) == 0


def test_figures_with_changed_unit_or_zero_baseline_are_not_compared(passing_report: RunReport) -> None:
    baseline = dataclasses.replace(
        passing_report,
        figures=[
            Figure("THROUGHPUT-REPLAY-REST", "r", 12_500.0, "jobs/s"),
            Figure("THROUGHPUT-SUBMIT-GRPC", "s", 0.0, "jobs/s"),
        ],
    )
    assert compare_to_baseline(passing_report, baseline).figures == []


def test_negative_tolerance_is_refused(passing_report: RunReport) -> None:
    with pytest.raises(ValueError):
        compare_to_baseline(passing_report, passing_report, tolerance=-0.1)


# --------------------------------------------------------------------------- exit code


def test_exit_code_fails_on_required_failure_only(passing_report: RunReport) -> None:
    assert exit_code(make_report()) == 1
    assert exit_code(passing_report) == 0  # a recommended check fails in it
    assert passing_report.results[8].outcome is Outcome.FAILED
    assert passing_report.results[8].severity is Severity.RECOMMENDED


def test_exit_code_with_a_clean_baseline(passing_report: RunReport) -> None:
    assert exit_code(passing_report, compare_to_baseline(passing_report, passing_report)) == 0


def test_a_run_that_verified_nothing_does_not_pass() -> None:
    assert exit_code(make_report(results=[])) == 1
    assert gate_reasons(make_report(results=[])) == ["the run produced no check results"]
    skipped = [check("A", Outcome.SKIPPED), check("B", Outcome.NOT_CONFIGURED), check("C", Outcome.NOT_OFFERED)]
    assert exit_code(make_report(results=skipped)) == 1


def test_gate_reasons_name_each_failed_required_check() -> None:
    assert gate_reasons(make_report()) == [
        "SURFACE-CancelJobs-REST failed (required)",
        "AUTH-BASIC-BADPW-REST failed (required)",
    ]


def test_an_unknown_shipped_list_names_the_shipped_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--known-failures armada-2025` said only that the file could not be read."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(KnownFailuresError) as caught:
        load_known_failures("armada-2025")
    message = str(caught.value)
    assert "shipped: " in message and "armada-2026" in message and "\n" not in message
