"""The one judge of regressions: this run against a stored ``report.json`` (``--baseline``).

Checks and figures are matched by ID. A required check that passed in the baseline
and now fails or is no longer offered regressed; a figure regressed when it is worse
than the tolerance AND the change is outside the figure's own noise: it is compared
only when its rounds (``Figure.rounds``, in this run and, when recorded, in the
baseline) spread by no more than the tolerance. A single-round figure (a p99 of 50
jobs) has no known spread and is never called a regression, only "not compared".

Regressions are results of the run: :func:`regression_results` makes one failing
``BASELINE-<id>`` check result per regression (a JUnit test case, a line of the
verdict), and :func:`regression_records` the records ``report.json`` stores, each
naming the baseline file and the tolerance. The THROUGHPUT-Threshold-MaxRegression
check judges its figures with the same :func:`compare_figure`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.results import CheckResult, Figure, Outcome, RunReport, Severity

DEFAULT_TOLERANCE = 0.2
BASELINE_CATEGORY = "BASELINE"
BASELINE_PREFIX = "BASELINE-"
_FAILING = frozenset({Outcome.FAILED, Outcome.EXPECTED_FAILURE, Outcome.ERROR})
_LOWER_IS_BETTER_UNITS = frozenset(
    {"ns", "us", "µs", "ms", "s", "sec", "secs", "seconds", "milliseconds", "microseconds", "nanoseconds"}
)


@dataclass(frozen=True)
class CheckChange:
    """A check whose outcome differs from the baseline in a way worth reporting."""

    id: str
    severity: Severity
    before: Outcome | None  # None: the check did not exist in the baseline
    after: Outcome
    message: str = ""


@dataclass(frozen=True)
class FigureChange:
    """One figure present in both runs with the same unit."""

    id: str
    name: str
    unit: str
    before: float
    after: float
    change: float  # relative change in the *good* direction: -0.3 means 30 % worse
    client_bound: bool  # this run's figure is a lower bound: a drop is inconclusive
    regressed: bool  # worse than the tolerance, outside its noise and conclusive: fails the gate
    spread: float | None = None  # the larger relative spread of its rounds (now, baseline); None: unknown
    compared: bool = True  # False: its spread does not allow a comparison (one round, or noisier than tolerance)


@dataclass
class BaselineComparison:
    """This run against a stored report.json of an earlier run."""

    baseline_started: str
    baseline_suite_version: str
    tolerance: float
    new_failures: list[CheckChange] = field(default_factory=list)
    no_longer_offered: list[CheckChange] = field(default_factory=list)
    fixed: list[CheckChange] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the baseline, absent from this run
    figures: list[FigureChange] = field(default_factory=list)
    path: str = ""  # the baseline file, as given

    @property
    def throughput_regressions(self) -> list[FigureChange]:
        return [f for f in self.figures if f.regressed]

    @property
    def inconclusive_figures(self) -> list[FigureChange]:
        """Got worse than the tolerance, but client-bound or not comparable (inside its noise)."""
        return [f for f in self.figures if not f.regressed and f.change < -self.tolerance]

    @property
    def regressed_checks(self) -> list[CheckChange]:
        """Required checks that passed in the baseline and now fail or are no longer offered."""
        return [
            c
            for c in self.new_failures + self.no_longer_offered
            if c.severity is Severity.REQUIRED and c.before is Outcome.PASSED
        ]

    def regression_reasons(self, skip_ids: Iterable[str] = ()) -> list[str]:
        """Why the comparison fails the gate; empty when it does not."""
        skip = set(skip_ids)
        reasons = [
            f"{c.id} passed in the baseline and now is {c.after}" for c in self.regressed_checks if c.id not in skip
        ]
        reasons += [f"{f.id} {_describe_change(f)}" for f in self.throughput_regressions if f.id not in skip]
        return reasons

    @property
    def regressed(self) -> bool:
        return bool(self.regression_reasons())


def lower_is_better(unit: str) -> bool:
    """Latency-style units (``ms``, ``s``...) improve when they go down."""
    first = unit.strip().split(" ", 1)[0].lower() if unit.strip() else ""
    return first in _LOWER_IS_BETTER_UNITS


def _describe_change(f: FigureChange) -> str:
    direction = "rose" if lower_is_better(f.unit) else "dropped"
    return f"{direction} from {f.before:g} to {f.after:g} {f.unit} ({abs(f.change):.0%} worse)"


def describe_figure_change(change: FigureChange) -> str:
    """One human line for a figure that got worse."""
    return _describe_change(change)


def spread(figure: Figure) -> float | None:
    """(max - min) / median of the figure's rounds; None when fewer than two rounds were recorded."""
    rounds = [float(r) for r in figure.rounds]
    if len(rounds) < 2:
        return None
    middle = statistics.median(rounds)
    return (max(rounds) - min(rounds)) / middle if middle > 0 else None


def compare_figure(now: Figure, before: Figure, tolerance: float) -> FigureChange | None:
    """The judgement of one figure; None when the two cannot be compared (unit changed, baseline not positive).

    Compared only when its rounds spread by at most ``tolerance`` (now, and in the baseline
    when it recorded rounds): a change inside the noise is not a regression.
    """
    if now.unit != before.unit or before.value <= 0:
        return None
    if lower_is_better(now.unit):
        change = (before.value - now.value) / before.value
    else:
        change = (now.value - before.value) / before.value
    own, old = spread(now), spread(before)
    noise = None if own is None else max(own, old or 0.0)
    compared = noise is not None and noise <= tolerance
    return FigureChange(
        id=now.id,
        name=now.name,
        unit=now.unit,
        before=before.value,
        after=now.value,
        change=change,
        client_bound=now.client_bound,
        regressed=compared and change < -tolerance and not now.client_bound,
        spread=noise,
        compared=compared,
    )


def compare_to_baseline(
    report: RunReport, baseline: RunReport, tolerance: float = DEFAULT_TOLERANCE, path: str = ""
) -> BaselineComparison:
    """Compare check outcomes and figures with ``baseline``, matched by ID.

    ``tolerance`` is the fraction by which a figure may get worse before it is
    a regression (0.2: throughput may drop 20 %, latency may rise 20 %).
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    comparison = BaselineComparison(
        baseline_started=baseline.started,
        baseline_suite_version=baseline.suite_version,
        tolerance=tolerance,
        path=path,
    )
    before = {r.id: r for r in baseline.results if r.category != BASELINE_CATEGORY}
    for result in report.results:
        if result.category != BASELINE_CATEGORY:
            _classify(comparison, result, before.get(result.id))
    now_ids = {r.id for r in report.results}
    comparison.missing = [r for r in before if r not in now_ids]
    old_figures = {f.id: f for f in baseline.figures}
    for figure in report.figures:
        if figure.id in old_figures:
            change = compare_figure(figure, old_figures[figure.id], tolerance)
            if change:
                comparison.figures.append(change)
    return comparison


def _classify(comparison: BaselineComparison, result: CheckResult, old: CheckResult | None) -> None:
    old_outcome = old.outcome if old else None
    change = CheckChange(
        id=result.id, severity=result.severity, before=old_outcome, after=result.outcome, message=result.message
    )
    if result.outcome in (Outcome.FAILED, Outcome.ERROR) and old_outcome not in _FAILING:
        comparison.new_failures.append(change)
    elif result.outcome is Outcome.NOT_OFFERED and old_outcome is Outcome.PASSED:
        comparison.no_longer_offered.append(change)
    elif result.outcome is Outcome.PASSED and old_outcome in _FAILING:
        comparison.fixed.append(change)


# --------------------------------------------------------------------------- regressions as results


def regression_records(comparison: BaselineComparison) -> list[dict[str, Any]]:
    """What report.json stores of each regression (and of each figure not compared for its noise)."""
    common = {"baseline": comparison.path, "baseline_started": comparison.baseline_started}
    records: list[dict[str, Any]] = [
        {"id": c.id, "kind": "check", "before": str(c.before), "after": str(c.after), "regressed": True, **common}
        for c in comparison.regressed_checks
    ]
    for f in comparison.figures:
        if f.regressed or f in comparison.inconclusive_figures:
            records.append(
                {
                    "id": f.id,
                    "kind": "figure",
                    "before": f.before,
                    "after": f.after,
                    "unit": f.unit,
                    "change": round(f.change, 4),
                    "spread": None if f.spread is None else round(f.spread, 4),
                    "regressed": f.regressed,
                    "why": _figure_why(f, comparison.tolerance),
                    **common,
                }
            )
    return [{**r, "tolerance": comparison.tolerance} for r in records]


def _figure_why(f: FigureChange, tolerance: float) -> str:
    if f.regressed:
        return f"{_describe_change(f)}; its rounds spread {f.spread:.0%}, within the tolerance of {tolerance:.0%}"
    if f.client_bound:
        return f"{_describe_change(f)}, but the figure is client-bound (a lower bound): inconclusive"
    if f.spread is None:
        return f"{_describe_change(f)}, but not compared: one round, so its noise is unknown"
    return f"{_describe_change(f)}, but not compared: its rounds spread {f.spread:.0%}, more than the tolerance"


def regression_results(comparison: BaselineComparison) -> list[CheckResult]:
    """One failing ``BASELINE-<id>`` result per regression: CI's test tab shows each one."""
    where = comparison.path or "the baseline"
    results = [
        CheckResult(
            id=BASELINE_PREFIX + c.id,
            category=BASELINE_CATEGORY,
            requirement=f"{c.id} is not worse than in the baseline {where}",
            severity=Severity.REQUIRED,
            outcome=Outcome.FAILED,
            message=f"{c.id} passed in the baseline {where} and now is {c.after}",
            evidence={"baseline": comparison.path, "before": str(c.before), "after": str(c.after)},
        )
        for c in comparison.regressed_checks
        if c.after is not Outcome.FAILED  # a check failing now is already a failed result of the run
    ]
    results += [
        CheckResult(
            id=BASELINE_PREFIX + f.id,
            category=BASELINE_CATEGORY,
            requirement=f"{f.id} is at most {comparison.tolerance:.0%} worse than in the baseline {where}",
            severity=Severity.REQUIRED,
            outcome=Outcome.FAILED,
            message=f"{f.id} {_figure_why(f, comparison.tolerance)}",
            evidence={
                "baseline": comparison.path,
                "tolerance": comparison.tolerance,
                "before": f.before,
                "after": f.after,
                "unit": f.unit,
                "spread": f.spread,
            },
        )
        for f in comparison.throughput_regressions
    ]
    return results
