"""The run record (``RunReport.run``) as the reports show it, and what a re-gate adds to it.

Kept in the report package (no import of the plan) so every writer can read it;
``conformance.run_record`` builds the record from a run's plan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .gate import known_failures_path


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def known_failures_source(given: str | None) -> str:
    """The known-failures file the run read (a shipped era list named as such), or ``""``."""
    if not given:
        return ""
    path = known_failures_path(given)
    return f"{given} (shipped: conformance/known/{path.name})" if str(path) != given and path.is_file() else given


def regate_record(
    record: dict[str, Any], *, baseline: str | None, tolerance: float, known_failures: str | None, stored: str
) -> dict[str, Any]:
    """``record`` with what ``report --regate`` judged it with (the stored verdict kept beside it)."""
    gated = {
        "by": "report --regate",
        "at": _now(),
        "baseline": {"path": baseline, "tolerance": tolerance} if baseline else None,
        "known_failures": known_failures_source(known_failures),
        "stored_verdict": stored,
    }
    return {**record, "gated": gated}


def record_lines(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) pairs of the record, for the reports' headers (empty for reports before 1.3)."""
    if not record:
        return []
    selection = record.get("selection") or {}
    words = ", ".join(selection.get("only") or []) or "every check of the profile"
    if selection.get("exclude"):
        words += f" except {', '.join(selection['exclude'])}"
    baseline = record.get("baseline")
    gated = record.get("gated") or {}
    lines = [
        ("Selection", f"{words} ({selection.get('checks', '?')} checks)"),
        ("Read-only", "yes" if record.get("read_only") else "no"),
        ("Intrusive", "yes" if record.get("intrusive") else "no"),
        (
            "Baseline",
            f"{baseline['path']} (tolerance {baseline['tolerance']:.0%})" if baseline else "none",
        ),
        ("Known failures", record.get("known_failures") or "none"),
        ("Seed", "none" if record.get("seed") is None else str(record["seed"])),
        ("Interrupted", record.get("interrupted") or "no"),
    ]
    if gated.get("by", "run") != "run":
        base = gated.get("baseline")
        with_what = f"baseline {base['path']} (tolerance {base['tolerance']:.0%})" if base else "no baseline"
        known = gated.get("known_failures") or "no known failures"
        lines.append(
            (
                "Re-gated",
                f"{gated.get('at', '')} with {with_what}, {known}; the run's own verdict was "
                f"{gated.get('stored_verdict') or 'not stored'}",
            )
        )
    return lines
