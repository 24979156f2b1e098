"""One verdict per run: judged once, stored, and read by every format and the exit status.

Each test pins a way the gate used to say two things at once: a console PASS beside
a failing exit status, a junit.xml with failures="0" for a run that failed on its
baseline, a re-rendered report judged again without what the run was judged with.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from report_samples import check, make_report

from conformance.progress import verdict_line
from conformance.report import render_html, render_junit, render_summary
from conformance.report.baseline import compare_to_baseline, regression_results
from conformance.report.json_report import report_from_dict, report_to_dict
from conformance.report.verdict import judge, verdict_of, with_verdict
from conformance.results import Outcome, RunReport, Severity
from conformance.runner import exit_status


def _passing() -> RunReport:
    return make_report(results=[check("SURFACE-A", Outcome.PASSED), check("SURFACE-B", Outcome.PASSED)])


def test_every_format_and_the_exit_status_read_the_stored_verdict() -> None:
    """A report holding 'fail' is FAIL everywhere, even though its results alone would pass."""
    report = dataclasses.replace(_passing(), verdict="fail", verdict_reasons=["SURFACE-Z regressed (stored)"])
    assert exit_status(report) == 1
    assert verdict_line(report).startswith("FAIL: SURFACE-Z regressed (stored)")
    assert render_summary(report).startswith("## ❌ FAIL")
    assert '<div class="big">FAIL</div>' in render_html(report) and "SURFACE-Z regressed" in render_html(report)
    properties = {p.get("name"): p.get("value") for p in ET.fromstring(render_junit(report)).iter("property")}
    assert properties["verdict"] == "fail" and properties["verdict_reason_1"] == "SURFACE-Z regressed (stored)"


def test_a_stored_verdict_without_reasons_keeps_its_word() -> None:
    """A schema 1.2 report that failed on its baseline stays failed when read back."""
    data = report_to_dict(dataclasses.replace(_passing(), verdict="fail"))
    for key in ("verdict_reasons", "run", "regressions"):
        data.pop(key)
    data["schema_version"] = "1.2"
    verdict = verdict_of(report_from_dict(data))
    assert verdict.word == "fail" and verdict.exit_status == 1 and "not recorded" in verdict.reasons[0]


def test_a_regressed_figure_is_a_failing_testcase_and_a_record() -> None:
    baseline = make_report()
    current = make_report()
    for figure in current.figures:
        if figure.id == "THROUGHPUT-REPLAY-REST":
            figure.value, figure.rounds = 9_000.0, [8_900.0, 9_000.0, 9_100.0]
    comparison = compare_to_baseline(current, baseline, tolerance=0.2, path="ci/baseline.json")
    [result] = regression_results(comparison)
    assert result.id == "BASELINE-THROUGHPUT-REPLAY-REST" and result.outcome is Outcome.FAILED
    assert result.evidence["baseline"] == "ci/baseline.json" and result.evidence["tolerance"] == 0.2
    judged = with_verdict(
        dataclasses.replace(current, results=[*current.results, result]),
        judge(dataclasses.replace(current, results=[*current.results, result])),
    )
    suite = ET.fromstring(render_junit(judged))
    failing = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "BASELINE-THROUGHPUT-REPLAY-REST" in failing and int(suite.get("failures", "0")) == len(failing)


def test_error_is_its_own_outcome_and_fails_the_gate_as_the_suites_problem() -> None:
    errored = check("SEMANTICS-CancelJobs", Outcome.ERROR, message="the suite could not set this check up: X")
    report = make_report(results=[check("SURFACE-A", Outcome.PASSED), errored])
    verdict = judge(report)
    assert verdict.word == "error" and verdict.exit_status == 1
    assert "not the server's" in verdict.reasons[0]
    report = with_verdict(report, verdict)
    suite = ET.fromstring(render_junit(report))
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    summary = render_summary(report)
    assert summary.startswith("## ⛔ ERROR") and "could not set up" in summary and "| 1 | 0 | 1 |" in summary
    assert "Could not be set up (1 error)" in render_html(report)


def test_a_failure_beside_an_error_is_a_fail() -> None:
    report = make_report(
        results=[check("SURFACE-A", Outcome.FAILED), check("SURFACE-B", Outcome.ERROR, severity=Severity.REQUIRED)]
    )
    assert judge(report).word == "fail"
