"""Intrusive probes are marked in every report format, whether they ran or were skipped.

Issue 13 asks that a run says which of its probes could upset a real server; a reader
of summary.md, JUnit or the HTML page must see it without reading the catalogue.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from report_samples import check, make_report

from conformance.report.html_report import render_html
from conformance.report.json_report import report_from_dict, report_to_json, schema_errors
from conformance.report.junit import render_junit
from conformance.report.markdown import render_summary
from conformance.results import Outcome


def _report():  # type: ignore[no-untyped-def]
    return make_report(
        [
            check("AUTH-BASIC-NOCOLON-GRPC", Outcome.PASSED, category="AUTH", intrusive=True),
            check(
                "AUTH-OVERSIZE-REST",
                Outcome.SKIPPED,
                category="AUTH",
                intrusive=True,
                message="intrusive check (it may upset or crash a real server): run it with --intrusive",
            ),
            check("AUTH-BASIC-BADPW-GRPC", Outcome.PASSED, category="AUTH"),
        ]
    )


def test_summary_names_the_intrusive_probes_that_ran_and_those_skipped() -> None:
    summary = render_summary(_report())
    line = next(x for x in summary.splitlines() if x.startswith("- Intrusive probes"))
    assert "AUTH-BASIC-NOCOLON-GRPC" in line.split("ran")[0]
    assert "AUTH-OVERSIZE-REST" in line.split("ran")[1] and "--intrusive" in line
    assert "AUTH-BASIC-BADPW-GRPC" not in line


def test_junit_marks_only_intrusive_cases() -> None:
    root = ET.fromstring(render_junit(_report()))
    marked = {
        case.get("name")
        for case in root.iter("testcase")
        if any(p.get("name") == "intrusive" and p.get("value") == "true" for p in case.iter("property"))
    }
    assert marked == {"AUTH-BASIC-NOCOLON-GRPC", "AUTH-OVERSIZE-REST"}


def test_html_tags_intrusive_rows() -> None:
    html = render_html(_report())
    assert html.count(">intrusive</span>") == 2


def test_json_keeps_the_mark_and_stays_valid() -> None:
    text = report_to_json(_report())
    import json

    assert schema_errors(json.loads(text)) == []
    back = report_from_dict(json.loads(text))
    assert [r.intrusive for r in back.results] == [True, True, False]
