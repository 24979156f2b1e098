"""``armada-conformance report``: a stored run re-rendered, never overwritten, its verdict kept unless re-gated.

A stored ``report.json`` is a record: re-rendering it (with a newer suite, into
another format) must not change what it says. So the new files go to a new folder
(``--out``, which must not hold a report already; default ``<run folder>-report``
beside the run's), and the verdict is the stored one. Re-gating (``--regate``, or
``--baseline`` / ``--known-failures``) judges the stored results again; the new
report's run record then says what it was gated with and what the stored verdict was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from conformance.results import RunReport

from .baseline import (
    BASELINE_CATEGORY,
    DEFAULT_TOLERANCE,
    BaselineComparison,
    compare_to_baseline,
    regression_records,
    regression_results,
)
from .gate import apply_known_failures
from .json_report import load_report
from .record import regate_record
from .verdict import judge, with_verdict
from .writer import fresh_folder, render_into, write_outputs


class RegateError(ValueError):
    """The re-render cannot be done as asked (exit 2, this one line)."""


def _stored_path(path: Path) -> Path:
    return path / "report.json" if path.is_dir() else path


def _out_folder(stored: Path, out: Path | None) -> Path:
    """A folder that holds no stored run: ``out`` (created), or a new one beside the run's."""
    if out is None:
        return fresh_folder(stored.parent.parent, f"{stored.parent.name}-report")
    if (out / "report.json").exists() or out.resolve() == stored.parent.resolve():
        raise RegateError(
            f"--out {out} holds a stored run (report.json); the report command never overwrites one: "
            "choose a new folder (or leave --out out for one beside the run)"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def regated(
    report: RunReport,
    *,
    baseline: str | None,
    tolerance: float | None,
    known_failures: str | None,
) -> tuple[RunReport, BaselineComparison | None, list[str]]:
    """``report`` judged again; returns it, the baseline comparison, and known-failure entries matching nothing."""
    stored_word = report.verdict
    unmatched: list[str] = []
    if known_failures:
        from conformance.known_failures import known_failures as shipped_or_file  # a file, or a release's list

        applied = apply_known_failures(report, shipped_or_file(known_failures))
        report, unmatched = applied.report, [k.id for k in applied.unmatched]
    comparison = None
    if baseline:
        tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
        own = [r for r in report.results if r.category != BASELINE_CATEGORY]  # the old baseline's judgement goes
        report = dataclasses.replace(report, results=own, regressions=[])
        comparison = compare_to_baseline(report, load_report(baseline), tolerance=tolerance, path=baseline)
        report = dataclasses.replace(
            report, results=[*own, *regression_results(comparison)], regressions=regression_records(comparison)
        )
    record = regate_record(
        report.run,
        baseline=baseline,
        tolerance=DEFAULT_TOLERANCE if tolerance is None else tolerance,
        known_failures=known_failures,
        stored=stored_word,
    )
    report = dataclasses.replace(report, run=record, verdict="", verdict_reasons=[])
    return with_verdict(report, judge(report)), comparison, unmatched


def rerender(
    path: Path,
    *,
    out: Path | None,
    regate: bool,
    baseline: str | None,
    tolerance: float | None,
    known_failures: str | None,
    outputs: Mapping[str, str],
) -> tuple[RunReport, Path, list[str]]:
    """Re-render the stored run at ``path`` (a report.json or its folder); returns the report, folder, unmatched."""
    stored = _stored_path(path)
    if tolerance is not None and not baseline:
        raise RegateError("--max-regression needs --baseline (the tolerance of a comparison with it)")
    if tolerance is not None and not 0 <= tolerance <= 10:
        raise RegateError(f"--max-regression {tolerance:g} must be 0..10")
    for flag, given in outputs.items():
        if Path(given).resolve() == stored.resolve():
            raise RegateError(f"{flag} {given} is the stored run's report.json; it is never overwritten")
    report = load_report(stored)
    comparison: BaselineComparison | None = None
    unmatched: list[str] = []
    if regate or baseline or known_failures:
        report, comparison, unmatched = regated(
            report, baseline=baseline, tolerance=tolerance, known_failures=known_failures
        )
    folder = _out_folder(stored, out)
    render_into(report, folder, comparison)
    write_outputs(report, outputs, comparison)
    return report, folder, unmatched
