"""``junit.xml``: one testcase per check, for CI systems' test tabs.

Mapping: classname = category, name = check ID; FAILED -> ``<failure>`` with
the message and the evidence (a regression against the baseline is a failed
``BASELINE-<id>`` case); ERROR (the suite could not set the check up) ->
``<error>``, counted in ``errors``; every other non-passing outcome (expected
failure, not offered, not configured, skipped) -> ``<skipped message=...>``,
because none of them is a defect of the target that CI should paint red.
The suite's properties carry the verdict and how the run was made (selection,
read-only, baseline and tolerance, known failures, seed, interrupted).
Recommended checks that fail are still ``<failure>`` (they did fail), with
``type="recommended"``; whether the run fails is the exit code's decision.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conformance.results import CheckResult, Outcome, RunReport

from .common import count_outcomes, evidence_text, target_label, utc_stamp
from .record import record_lines
from .verdict import verdict_of

SUITE_NAME = "armada-conformance"
# Characters XML 1.0 cannot carry at all, even escaped (binary bytes in a response body).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """Replace characters XML cannot represent so the file always parses."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _testcase(result: CheckResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": xml_safe(result.category or "OTHER"),
            "name": xml_safe(result.id),
            "time": f"{max(result.duration_s, 0.0):.3f}",
        },
    )
    if result.intrusive:  # the probe could upset a real server: CI readers should see it was one
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", {"name": "intrusive", "value": "true"})
    if result.outcome in (Outcome.FAILED, Outcome.ERROR):
        failure = ET.SubElement(
            case,
            "failure" if result.outcome is Outcome.FAILED else "error",
            {
                "message": xml_safe(result.message or "failed"),
                "type": str(result.severity) if result.outcome is Outcome.FAILED else "setup",
            },
        )
        body = [f"Requirement: {result.requirement}", f"Severity: {result.severity}"]
        body += [
            f"{label}: {value}"
            for label, value in (("Transport", result.transport), ("Scheme", result.scheme), ("Method", result.method))
            if value
        ]
        if result.message:
            body.append(f"\n{result.message}")
        if result.evidence:
            body.append(f"\nEvidence:\n{evidence_text(result.evidence)}")
        failure.text = xml_safe("\n".join(body))
    elif result.outcome is not Outcome.PASSED:
        message = f"{result.outcome}: {result.message}" if result.message else str(result.outcome)
        ET.SubElement(case, "skipped", {"message": xml_safe(message)})
    return case


def _properties(report: RunReport) -> ET.Element:
    properties = ET.Element("properties")
    verdict = verdict_of(report)
    for name, value in (
        ("target", target_label(report.target)),
        ("profile", report.profile),
        ("suite_version", report.suite_version),
        ("server_version", report.server_version),
        ("schema_version", report.schema_version),
        ("verdict", verdict.word),
        ("interrupted", report.interrupted or "no"),
        *((label.lower().replace(" ", "_").replace("-", "_"), text) for label, text in record_lines(report.run)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": xml_safe(value)})
    for n, reason in enumerate(verdict.reasons[:50], start=1):
        ET.SubElement(properties, "property", {"name": f"verdict_reason_{n}", "value": xml_safe(reason)})
    return properties


def render_junit(report: RunReport) -> str:
    """The JUnit XML document for ``report`` (expects a redacted report)."""
    counts = count_outcomes(report.results)
    total_time = sum(max(r.duration_s, 0.0) for r in report.results)
    stats = {
        "tests": str(len(report.results)),
        "failures": str(counts[Outcome.FAILED]),
        "errors": str(counts[Outcome.ERROR]),
        "skipped": str(len(report.results) - counts[Outcome.PASSED] - counts[Outcome.FAILED] - counts[Outcome.ERROR]),
        "time": f"{total_time:.3f}",
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **stats})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": xml_safe(f"{SUITE_NAME} {report.profile} @ {target_label(report.target)}"),
            **stats,
            "timestamp": xml_safe(report.started),
            "hostname": xml_safe(str(report.machine.get("hostname", ""))),
            "id": utc_stamp(report.started),
        },
    )
    suite.append(_properties(report))
    for result in report.results:
        suite.append(_testcase(result))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
