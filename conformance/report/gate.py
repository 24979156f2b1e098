"""The CI gate: known failures, baseline comparison and the exit code.

The rule teams rely on (docs/report-schema.md, "Gate"):

* exit 0 when every required check passed (or is an accepted known failure)
  and, when a baseline is given, nothing regressed against it;
* exit 1 when a required check failed, a required check that passed in the
  baseline now fails or is no longer offered, or a throughput/latency figure
  got worse than the baseline by more than the tolerance;
* recommended-severity checks never fail the gate, whatever they do;
* a run stopped by SIGINT / SIGTERM is "interrupted" (exit 130 / 143), never green;
* a run in which no check reached a verdict (everything skipped, not offered or
  not configured, or no results at all) fails: a green gate must mean that
  something was actually verified.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from conformance.results import CheckResult, Figure, Outcome, RunReport, Severity

# A check that was failing before; its failing again is not news.
_FAILING = frozenset({Outcome.FAILED, Outcome.EXPECTED_FAILURE})
_VERDICTS = frozenset({Outcome.PASSED, Outcome.FAILED, Outcome.EXPECTED_FAILURE})
_LOWER_IS_BETTER_UNITS = frozenset(
    {"ns", "us", "µs", "ms", "s", "sec", "secs", "seconds", "milliseconds", "microseconds", "nanoseconds"}
)
DEFAULT_TOLERANCE = 0.2
# Starts the message of a listed check that passed, so every format can point it out.
FIXED_NOTE_PREFIX = "Fixed: listed as a known failure"


# --------------------------------------------------------------------------- known failures


class KnownFailuresError(ValueError):
    """A known-failures file that cannot be used; the message names the file and line."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class KnownFailure:
    """One ``[[known_failure]]`` entry: a check expected to fail, and why."""

    id: str
    reason: str
    line: int | None = None  # where the entry starts, for messages about it


@dataclass
class KnownFailuresApplied:
    """What applying a known-failures list did to a report."""

    report: RunReport
    expected: list[str] = field(default_factory=list)  # FAILED -> EXPECTED_FAILURE
    fixed: list[KnownFailure] = field(default_factory=list)  # listed but passed: remove from the list
    unmatched: list[KnownFailure] = field(default_factory=list)  # listed, no such check in this run


_ALLOWED_ENTRY_KEYS = frozenset({"id", "reason"})
_TABLE_HEADER = re.compile(r"^\s*\[\[\s*(?:known_failure|\"known_failure\")\s*\]\]")


def _table_lines(text: str) -> list[int]:
    """1-based line numbers of each ``[[known_failure]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if _TABLE_HEADER.match(line)]


def _decode_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    line = getattr(exc, "lineno", None)  # Python 3.14+
    if line:
        return int(line)
    match = re.search(r"at line (\d+)", str(exc))
    return int(match.group(1)) if match else None


def parse_known_failures(text: str, source: str = "<known failures>") -> list[KnownFailure]:
    """Parse known-failures TOML; every problem raises :class:`KnownFailuresError` with a line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise KnownFailuresError(source, _decode_error_line(exc), f"not valid TOML: {problem}") from exc
    unknown = sorted(set(data) - {"known_failure"})
    if unknown:
        raise KnownFailuresError(
            source, None, f"unexpected top-level key(s) {unknown}; expected only [[known_failure]] tables"
        )
    entries = data.get("known_failure", [])
    if not isinstance(entries, list):
        raise KnownFailuresError(source, None, "'known_failure' must be an array of tables ([[known_failure]])")
    lines = _table_lines(text)
    result: list[KnownFailure] = []
    seen: dict[str, int | None] = {}
    for index, entry in enumerate(entries):
        line = lines[index] if len(lines) == len(entries) else None
        known = _entry(entry, source, line)
        if known.id in seen:
            first = f" (first listed at line {seen[known.id]})" if seen[known.id] else ""
            raise KnownFailuresError(source, line, f"check {known.id!r} is listed twice{first}")
        seen[known.id] = line
        result.append(known)
    return result


def _entry(entry: object, source: str, line: int | None) -> KnownFailure:
    """Validate one table: both keys present, non-empty strings, nothing misspelt."""
    if not isinstance(entry, dict):
        raise KnownFailuresError(source, line, "each known_failure must be a table")
    extra = sorted(set(entry) - _ALLOWED_ENTRY_KEYS)
    if extra:
        raise KnownFailuresError(source, line, f"unknown key(s) {extra} in [[known_failure]]; allowed: 'id', 'reason'")
    for key in ("id", "reason"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise KnownFailuresError(source, line, f"[[known_failure]] needs a non-empty string {key!r}")
    return KnownFailure(id=entry["id"].strip(), reason=entry["reason"].strip(), line=line)


SHIPPED_KNOWN = Path(__file__).resolve().parent.parent / "known"


def load_known_failures(path: Path | str) -> list[KnownFailure]:
    """Read and validate a known-failures file, or the one shipped for an era (``armada-2026``, ``current``)."""
    from conformance.eras import canonical

    path = Path(path)
    shipped = SHIPPED_KNOWN / f"{canonical(str(path))}.toml"
    if not path.exists() and path.parent == Path(".") and shipped.is_file():
        path = shipped
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnownFailuresError(str(path), None, f"cannot read: {exc.strerror or exc}") from exc
    return parse_known_failures(text, source=str(path))


def _mark_expected(result: CheckResult, known: KnownFailure) -> CheckResult:
    message = f"Known failure: {known.reason}"
    if result.message:
        message += f" | {result.message}"
    return dataclasses.replace(result, outcome=Outcome.EXPECTED_FAILURE, message=message)


def _mark_fixed(result: CheckResult, known: KnownFailure) -> CheckResult:
    note = f"{FIXED_NOTE_PREFIX} ({known.reason}) but passed; remove it from the list."
    return dataclasses.replace(result, message=f"{note} {result.message}".strip())


def matches(known: KnownFailure, check_id: str) -> bool:
    """An entry's ``id`` is a check ID or a pattern with ``*`` (``AUTH-KERBEROS-*``)."""
    return fnmatch.fnmatchcase(check_id, known.id)


def mark_known(result: CheckResult, known: Iterable[KnownFailure]) -> CheckResult:
    """``result`` as the known-failures list reads it: FAILED -> EXPECTED_FAILURE, PASSED flagged as fixed.

    Only FAILED turns into EXPECTED_FAILURE: a listed check that was skipped or
    not offered keeps that outcome, since it says nothing about the known bug.
    """
    entry = next((k for k in known if matches(k, result.id)), None)
    if entry and result.outcome is Outcome.FAILED:
        return _mark_expected(result, entry)
    if entry and result.outcome is Outcome.PASSED:
        return _mark_fixed(result, entry)
    return result


def unmatched_known(known: Iterable[KnownFailure], check_ids: Iterable[str]) -> list[KnownFailure]:
    """Entries matching none of ``check_ids``: a typo, or a check outside the run's selection."""
    ids = list(check_ids)
    return [k for k in known if not any(matches(k, i) for i in ids)]


def apply_known_failures(report: RunReport, known: Iterable[KnownFailure]) -> KnownFailuresApplied:
    """Apply :func:`mark_known` to every result; list the entries that matched nothing.

    The report passed in is not modified.
    """
    entries = list(known)
    applied = KnownFailuresApplied(report=report)
    results: list[CheckResult] = []
    for result in report.results:
        marked = mark_known(result, entries)
        if marked.outcome is Outcome.EXPECTED_FAILURE and result.outcome is Outcome.FAILED:
            applied.expected.append(result.id)
        elif marked is not result:
            applied.fixed.append(next(k for k in entries if matches(k, result.id)))
        results.append(marked)
    applied.unmatched = unmatched_known(entries, (r.id for r in report.results))
    applied.report = dataclasses.replace(
        report, results=results, unmatched_known_failures=[k.id for k in applied.unmatched]
    )
    return applied


# --------------------------------------------------------------------------- baseline


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
    regressed: bool  # worse than the tolerance and conclusive: fails the gate


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

    @property
    def throughput_regressions(self) -> list[FigureChange]:
        return [f for f in self.figures if f.regressed]

    @property
    def inconclusive_figures(self) -> list[FigureChange]:
        """Got worse than the tolerance, but the figure is client-bound."""
        return [f for f in self.figures if f.client_bound and f.change < -self.tolerance]

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
        reasons += [f"{f.id} {_describe_change(f)}" for f in self.throughput_regressions]
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


def _compare_figure(now: Figure, before: Figure, tolerance: float) -> FigureChange | None:
    """None when the two cannot be compared (unit changed, baseline zero or negative)."""
    if now.unit != before.unit or before.value <= 0:
        return None
    if lower_is_better(now.unit):
        change = (before.value - now.value) / before.value
    else:
        change = (now.value - before.value) / before.value
    worse = change < -tolerance
    return FigureChange(
        id=now.id,
        name=now.name,
        unit=now.unit,
        before=before.value,
        after=now.value,
        change=change,
        client_bound=now.client_bound,
        regressed=worse and not now.client_bound,
    )


def compare_to_baseline(
    report: RunReport, baseline: RunReport, tolerance: float = DEFAULT_TOLERANCE
) -> BaselineComparison:
    """Compare check outcomes and figures with ``baseline``, matched by ID.

    ``tolerance`` is the fraction by which a figure may get worse before it is
    a regression (0.2: throughput may drop 20 %, latency may rise 20 %).
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    comparison = BaselineComparison(
        baseline_started=baseline.started, baseline_suite_version=baseline.suite_version, tolerance=tolerance
    )
    before = {r.id: r for r in baseline.results}
    for result in report.results:
        _classify(comparison, result, before.get(result.id))
    now_ids = {r.id for r in report.results}
    comparison.missing = [r.id for r in baseline.results if r.id not in now_ids]
    old_figures = {f.id: f for f in baseline.figures}
    for figure in report.figures:
        if figure.id in old_figures:
            change = _compare_figure(figure, old_figures[figure.id], tolerance)
            if change:
                comparison.figures.append(change)
    return comparison


def _classify(comparison: BaselineComparison, result: CheckResult, old: CheckResult | None) -> None:
    old_outcome = old.outcome if old else None
    change = CheckChange(
        id=result.id, severity=result.severity, before=old_outcome, after=result.outcome, message=result.message
    )
    if result.outcome is Outcome.FAILED and old_outcome not in _FAILING:
        comparison.new_failures.append(change)
    elif result.outcome is Outcome.NOT_OFFERED and old_outcome is Outcome.PASSED:
        comparison.no_longer_offered.append(change)
    elif result.outcome is Outcome.PASSED and old_outcome in _FAILING:
        comparison.fixed.append(change)


# --------------------------------------------------------------------------- verdict


def gate_reasons(report: RunReport, comparison: BaselineComparison | None = None) -> list[str]:
    """Everything that makes the gate red, one line each; empty means green."""
    reasons = (
        [f"the run was interrupted by {report.interrupted}: {len(report.results)} check(s) ran"]
        if report.interrupted
        else []
    )
    reasons += [f"{r.id} failed (required)" for r in report.failures()]
    if not any(r.outcome in _VERDICTS for r in report.results):
        reasons.append(
            "no check reached a verdict: nothing passed or failed"
            if report.results
            else "the run produced no check results"
        )
    if comparison is not None:
        reasons += comparison.regression_reasons(skip_ids={r.id for r in report.failures()})
    return reasons


def passed(report: RunReport, comparison: BaselineComparison | None = None) -> bool:
    """The verdict every format shows: the same rule as :func:`exit_code`."""
    return not gate_reasons(report, comparison)


INTERRUPTED_EXIT = {"SIGINT": 130, "SIGTERM": 143}


def exit_code(report: RunReport, comparison: BaselineComparison | None = None) -> int:
    """0 green, 1 red (see the module docstring); 130 / 143 when SIGINT / SIGTERM stopped the run."""
    if report.interrupted:
        return INTERRUPTED_EXIT.get(report.interrupted, 130)
    return 0 if passed(report, comparison) else 1


def verdict(report: RunReport, comparison: BaselineComparison | None = None) -> str:
    """The word report.json stores: an interrupted run is never a pass."""
    return "interrupted" if report.interrupted else "pass" if passed(report, comparison) else "fail"
