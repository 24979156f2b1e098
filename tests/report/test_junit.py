"""junit.xml parses, counts right, and maps every outcome as CI systems expect."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from report_samples import check, make_report

from conformance.report import redact_report, render_junit
from conformance.results import Outcome, Severity


def _parse(report_text: str) -> ET.Element:
    return ET.fromstring(report_text.encode("utf-8"))


def test_one_testcase_per_check_with_category_and_id() -> None:
    report = make_report()
    root = _parse(render_junit(report))
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [(r.category, r.id) for r in report.results]


def test_counts_on_suite_and_root() -> None:
    report = make_report()
    root = _parse(render_junit(report))
    suite = root.find("testsuite")
    assert suite is not None
    for element in (root, suite):
        assert element.get("tests") == "18"
        assert element.get("failures") == "3"  # 2 required + 1 recommended
        assert element.get("skipped") == "5"  # expected failure, not offered, 2 not configured, skipped
        assert element.get("errors") == "0"
    assert len(suite.findall("testcase/failure")) == 3
    assert len(suite.findall("testcase/skipped")) == 5


def test_failure_carries_message_and_evidence() -> None:
    root = _parse(render_junit(redact_report(make_report())))
    case = root.find("./testsuite/testcase[@name='SURFACE-CancelJobs-REST']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("expected HTTP 200, got 500")
    assert failure.get("type") == "required"
    assert "<script>alert(" in (failure.text or "")  # XML-escaped on disk, intact when parsed
    assert "Basic <redacted>" in (failure.text or "")


def test_non_passing_non_failing_outcomes_are_skipped_with_a_message() -> None:
    root = _parse(render_junit(make_report()))
    skipped = {c.get("name"): c.find("skipped") for c in root.iter("testcase") if c.find("skipped") is not None}
    assert skipped["SURFACE-GetQueue-GRPC"].get("message") == "not offered: target answered UNIMPLEMENTED"
    assert skipped["SEMANTICS-DeleteQueue-GRPC"].get("message").startswith("skipped:")
    assert skipped["SEMANTICS-GetJobSetEvents-GRPC"].get("message").startswith("expected failure:")
    assert skipped["AUTH-KERBEROS-GRPC"].get("message") == "not configured"


def test_recommended_failure_is_typed_recommended() -> None:
    root = _parse(render_junit(make_report()))
    failure = root.find("./testsuite/testcase[@name='PARITY-SubmitJobs']/failure")
    assert failure is not None and failure.get("type") == str(Severity.RECOMMENDED)


def test_characters_xml_cannot_hold_do_not_break_the_file() -> None:
    bad = "binary \x00\x01\x1b[31m body \ud800 ]]> </failure>"
    report = make_report(results=[check("X-1", Outcome.FAILED, message=bad, evidence={"body": bad})])
    root = _parse(render_junit(report))
    failure = root.find(".//failure")
    assert failure is not None and "</failure>" in (failure.text or "") and "\x00" not in (failure.text or "")


def test_passed_testcase_has_no_children_and_a_time() -> None:
    root = _parse(render_junit(make_report()))
    case = root.find("./testsuite/testcase[@name='SWAGGER-Document']")
    assert case is not None and list(case) == [] and case.get("time") == "0.050"
