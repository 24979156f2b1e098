"""Presentation helpers every format shares, so they agree on counts, order and wording."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from conformance.results import CheckResult, Outcome, RunReport, Severity

OUTCOME_ORDER: tuple[Outcome, ...] = (
    Outcome.PASSED,
    Outcome.FAILED,
    Outcome.ERROR,
    Outcome.EXPECTED_FAILURE,
    Outcome.NOT_OFFERED,
    Outcome.NOT_CONFIGURED,
    Outcome.SKIPPED,
)
# Which outcome a matrix cell shows when its checks disagree: the most alarming.
_SEVERITY_RANK: dict[Outcome, int] = {
    Outcome.FAILED: 0,
    Outcome.ERROR: 1,
    Outcome.EXPECTED_FAILURE: 2,
    Outcome.NOT_OFFERED: 3,
    Outcome.PASSED: 4,
    Outcome.NOT_CONFIGURED: 5,
    Outcome.SKIPPED: 6,
}
CATEGORY_ORDER = ("SURFACE", "SEMANTICS", "PARITY", "SWAGGER", "AUTH", "THROUGHPUT", "BASELINE")
TRANSPORT_ORDER = ("grpc", "rest", "both")
EVIDENCE_LIMIT = 20_000
NO_TRANSPORT = "any"


def count_outcomes(results: Iterable[CheckResult]) -> dict[Outcome, int]:
    """Counts for every outcome, zeros included, in display order."""
    counts = Counter(r.outcome for r in results)
    return {o: counts.get(o, 0) for o in OUTCOME_ORDER}


def one_line(text: str, limit: int = 140) -> str:
    """First line of ``text``, whitespace collapsed, cut to ``limit`` characters."""
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def evidence_text(evidence: dict[str, Any], limit: int = EVIDENCE_LIMIT) -> str:
    """Evidence as indented JSON, cut so one chatty response cannot swamp a report."""
    if not evidence:
        return ""
    text = json.dumps(evidence, indent=2, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit} more characters cut)"
    return text


def category_key(category: str) -> tuple[int, str]:
    """Known categories in catalogue order, others alphabetically after them."""
    return (CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER), category)


def transport_key(transport: str) -> tuple[int, str]:
    return (TRANSPORT_ORDER.index(transport) if transport in TRANSPORT_ORDER else len(TRANSPORT_ORDER), transport)


def group_by_category(results: Iterable[CheckResult]) -> dict[str, list[CheckResult]]:
    groups: dict[str, list[CheckResult]] = {}
    for result in results:
        groups.setdefault(result.category or "OTHER", []).append(result)
    return {k: groups[k] for k in sorted(groups, key=category_key)}


def failed_by_severity(report: RunReport, severity: Severity) -> list[CheckResult]:
    return [r for r in report.results if r.outcome is Outcome.FAILED and r.severity is severity]


_TARGET_NAME_KEYS = ("name", "url", "address", "endpoint", "grpc", "rest", "host")


def release_label(report: Any) -> str:
    """The release a run judged, as its target description records it (older reports: the profile)."""
    release = report.target.get("release") if isinstance(report.target, dict) else None
    return str(release) if release else str(report.profile)


def target_label(target: dict[str, Any]) -> str:
    """A short human name for the target: its name, or its first address."""
    for key in _TARGET_NAME_KEYS:
        value = target.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict):
            nested = target_label(value)
            if nested != "target":
                return nested
    return "target"


def _strip_userinfo(text: str) -> str:
    if "://" not in text:
        return text
    parts = urlsplit(text)
    host = parts.hostname or ""
    port = f"-{parts.port}" if _safe_port(parts) else ""
    return f"{host}{port}{parts.path}"


def _safe_port(parts: Any) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def target_slug(target: dict[str, Any], limit: int = 60) -> str:
    """File-system-safe name for the report folder; never contains credentials."""
    label = _strip_userinfo(target_label(target))
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return slug[:limit].rstrip("-") or "target"


def utc_stamp(timestamp: str) -> str:
    """``20240501T120000Z`` for an RFC 3339 time (now, if it cannot be parsed)."""
    try:
        moment = datetime.fromisoformat(timestamp)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    except ValueError:
        moment = datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def duration_between(started: str, finished: str) -> float | None:
    """Seconds between two RFC 3339 times, None when either is unreadable."""
    try:
        return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    except (ValueError, TypeError):
        return None


def format_value(value: float) -> str:
    """Figures as people read them: 12 345, 1.23, 0.0042."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}".replace(",", "\u202f")
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


@dataclass
class MatrixCell:
    """The checks that fall on one row x column of a matrix."""

    checks: list[CheckResult] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome | None:
        """The most alarming outcome among a cell's checks (what its colour shows)."""
        if not self.checks:
            return None
        failed_required = [c for c in self.checks if c.outcome is Outcome.FAILED and c.severity is Severity.REQUIRED]
        if failed_required:
            return Outcome.FAILED
        return min((c.outcome for c in self.checks), key=lambda o: _SEVERITY_RANK[o])

    @property
    def recommended_only_failure(self) -> bool:
        """Failed, but only recommended checks failed: shown as a warning, not red."""
        return self.outcome is Outcome.FAILED and not any(
            c.outcome is Outcome.FAILED and c.severity is Severity.REQUIRED for c in self.checks
        )

    def summary(self) -> str:
        counts = count_outcomes(self.checks)
        return ", ".join(f"{n} {o}" for o, n in counts.items() if n)


@dataclass
class Matrix:
    """Rows x columns of :class:`MatrixCell` (e.g. method x transport)."""

    title: str
    row_label: str
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], MatrixCell]

    def cell(self, row: str, column: str) -> MatrixCell:
        return self.cells.get((row, column), MatrixCell())


def build_matrix(
    results: Iterable[CheckResult], attribute: str, title: str, row_label: str, require_transport: bool
) -> Matrix:
    """Group checks by ``attribute`` (method or scheme) and transport."""
    cells: dict[tuple[str, str], MatrixCell] = {}
    for result in results:
        row = getattr(result, attribute)
        column = result.transport or ("" if require_transport else NO_TRANSPORT)
        if not row or not column:
            continue
        cells.setdefault((row, column), MatrixCell()).checks.append(result)
    rows = sorted({r for r, _ in cells}, key=str.lower)
    columns = sorted({c for _, c in cells}, key=transport_key)
    return Matrix(title=title, row_label=row_label, rows=rows, columns=columns, cells=cells)


def method_matrix(report: RunReport) -> Matrix:
    return build_matrix(report.results, "method", "API methods by transport", "Method", require_transport=True)


def scheme_matrix(report: RunReport) -> Matrix:
    return build_matrix(
        report.results, "scheme", "Authentication schemes by transport", "Scheme", require_transport=False
    )
