"""Fixtures for the report tests; the builders live in report_samples."""

from __future__ import annotations

import dataclasses

import pytest
from report_samples import make_report, sample_results

from conformance.results import Outcome, RunReport, Severity


@pytest.fixture
def passing_report() -> RunReport:
    """Every required check passes; only a recommended one fails."""
    results = [
        dataclasses.replace(r, outcome=Outcome.PASSED, message="", evidence={})
        if r.outcome is Outcome.FAILED and r.severity is Severity.REQUIRED
        else r
        for r in sample_results()
    ]
    return make_report(results=results)
