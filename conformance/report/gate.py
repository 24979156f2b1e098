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

from conformance.results import CheckResult, Outcome, RunReport

# The baseline comparison lives in .baseline; its names stay importable from here.
from .baseline import (
    BASELINE_CATEGORY,
    BASELINE_PREFIX,
    DEFAULT_TOLERANCE,
    BaselineComparison,
    CheckChange,
    FigureChange,
    compare_to_baseline,
    describe_figure_change,
    lower_is_better,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "BaselineComparison",
    "CheckChange",
    "FigureChange",
    "KnownFailure",
    "KnownFailuresApplied",
    "KnownFailuresError",
    "apply_known_failures",
    "compare_to_baseline",
    "describe_figure_change",
    "exit_code",
    "gate_reasons",
    "load_known_failures",
    "lower_is_better",
    "mark_known",
    "parse_known_failures",
    "passed",
    "unmatched_known",
    "verdict",
]

# A check that was failing before; its failing again is not news.
_VERDICTS = frozenset({Outcome.PASSED, Outcome.FAILED, Outcome.EXPECTED_FAILURE})
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


def known_failures_path(path: Path | str) -> Path:
    """The file a ``--known-failures`` value names: a file, or the list shipped for an era (``armada-2026``)."""
    from conformance.eras import canonical

    path = Path(path)
    try:
        shipped = SHIPPED_KNOWN / f"{canonical(str(path))}.toml"
    except (KeyError, ValueError):
        return path
    if not path.exists() and path.parent == Path(".") and shipped.is_file():
        return shipped
    return path


def shipped_known_names() -> list[str]:
    """The eras a known-failures list ships for (``--known-failures armada-2026``)."""
    return sorted(p.stem for p in SHIPPED_KNOWN.glob("*.toml"))


def load_known_failures(path: Path | str) -> list[KnownFailure]:
    """Read and validate a known-failures file, or the one shipped for an era (``armada-2026``, ``current``)."""
    given, path = str(path), known_failures_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        shipped = ", ".join(shipped_known_names())
        hint = f" (neither a file nor a shipped list; shipped: {shipped})" if "/" not in given else ""
        raise KnownFailuresError(str(path), None, f"cannot read: no such file{hint}") from exc
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


# --------------------------------------------------------------------------- verdict


def gate_reasons(report: RunReport, comparison: BaselineComparison | None = None) -> list[str]:
    """Everything that makes the gate red, one line each; empty means green.

    Regressions against a baseline are results of the run (``BASELINE-...`` checks, see
    ``.baseline``) and so counted among its failures; a ``comparison`` passed here adds
    those of its regressions the report does not hold yet (a report judged by hand).
    """
    reasons = (
        [f"the run was interrupted by {report.interrupted}: {len(report.results)} check(s) ran"]
        if report.interrupted
        else []
    )
    reasons += [f"{r.id} failed (required)" for r in report.failures()]
    reasons += [
        f"{r.id} could not be set up (error: the suite's or the environment's problem, not the server's)"
        for r in report.errors()
    ]
    if not any(r.outcome in _VERDICTS for r in report.results):
        reasons.append(
            "no check reached a verdict: nothing passed or failed"
            if report.results
            else "the run produced no check results"
        )
    if comparison is not None:
        judged = {r.id.removeprefix(BASELINE_PREFIX) for r in report.results if r.category == BASELINE_CATEGORY}
        reasons += comparison.regression_reasons(skip_ids={r.id for r in report.failures()} | judged)
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
    """The word report.json stores: an interrupted run is never a pass (see ``.verdict``)."""
    from .verdict import judge

    return judge(report, comparison).word
