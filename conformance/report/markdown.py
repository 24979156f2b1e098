"""``summary.md``: what a pull-request comment should say, and no more.

A verdict line, counts by outcome, the failed required checks with one-line
reasons (capped, "and N more"), the baseline changes and the top figures.
Text from the target (messages) is untrusted: it is escaped so that a server
cannot inject links, images or HTML into a comment, nor break the tables.
"""

from __future__ import annotations

import re

from conformance.results import CheckResult, Outcome, RunReport, Severity

from .baseline import BASELINE_CATEGORY, BASELINE_PREFIX
from .common import count_outcomes, failed_by_severity, format_value, one_line, release_label, target_label
from .gate import FIXED_NOTE_PREFIX, BaselineComparison, describe_figure_change
from .record import record_lines
from .verdict import verdict_of

MAX_FAILURES = 15
MAX_FIGURES = 6
MAX_LISTED = 10
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def md_escape(text: str) -> str:
    """Inline Markdown text that renders literally, also inside table cells."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split())


def md_code(text: str) -> str:
    """A code span that survives backticks and pipes in ``text``."""
    clean = " ".join(text.split()).replace("|", "\\|")
    fence = "``" if "`" in clean else "`"
    pad = " " if clean.startswith("`") or clean.endswith("`") else ""
    return f"{fence}{pad}{clean}{pad}{fence}"


def _verdict_lines(report: RunReport, comparison: BaselineComparison | None) -> list[str]:
    verdict = verdict_of(report, comparison)
    where = (
        f"{md_code(target_label(report.target))} · release {md_code(release_label(report))} · "
        f"suite {md_escape(report.suite_version)}"
    )
    if report.server_version:
        where += f" · server {md_escape(report.server_version)}"
    if verdict.passed:
        return ["## ✅ PASS — Armada conformance", "", where]
    if verdict.word == "interrupted":
        return [
            "## ⚠️ INTERRUPTED — Armada conformance",
            "",
            f"**stopped by {md_escape(report.interrupted)} after {len(report.results)} check(s)** · {where}",
        ]
    if verdict.word == "error":
        errors = len(report.errors())
        return [
            "## ⛔ ERROR — Armada conformance",
            "",
            f"**{errors} check{'s' if errors != 1 else ''} could not be set up: the suite's or the "
            f"environment's problem, not a finding about the server** · {where}",
        ]
    detail = _fail_detail(report, comparison, list(verdict.reasons))
    return ["## ❌ FAIL — Armada conformance", "", f"**{detail}** · {where}"]


def _fail_detail(report: RunReport, comparison: BaselineComparison | None, reasons: list[str]) -> str:
    """Why the gate is red, in a few words."""
    held = [r for r in report.failures() if r.category == BASELINE_CATEGORY]
    failed = len(report.failures()) - len(held)
    parts = [f"{failed} required check{'s' if failed != 1 else ''} failed"] if failed else []
    judged = {r.id.removeprefix(BASELINE_PREFIX) for r in held}
    skip = {r.id for r in report.failures()} | judged
    regressions = len(held) + (len(comparison.regression_reasons(skip)) if comparison is not None else 0)
    if regressions:
        parts.append(f"{regressions} regression{'s' if regressions != 1 else ''} against the baseline")
    errors = len(report.errors())
    if errors:
        parts.append(f"{errors} could not be set up (error)")
    return "; ".join(parts) or md_escape(reasons[0])


def _run_lines(report: RunReport) -> list[str]:
    """How the run was made (schema 1.3): one bullet each."""
    lines = [f"- {label}: {md_escape(text)}" for label, text in record_lines(report.run)]
    return ["", "<details><summary>How this run was made</summary>", "", *lines, "", "</details>"] if lines else []


def _release_lines(report: RunReport) -> list[str]:
    """The features of the release judged (conformance/releases.py), folded away."""
    features = report.target.get("features") if isinstance(report.target, dict) else None
    if not features:
        return []
    shown = ", ".join(md_code(str(f)) for f in features)
    title = f"Release judged: {md_escape(release_label(report))} ({len(features)} features)"
    return ["", f"<details><summary>{title}</summary>", "", shown, "", "</details>"]


def _counts_table(report: RunReport) -> list[str]:
    counts = count_outcomes(report.results)
    header = "| " + " | ".join(str(o) for o in counts) + " | total |"
    rule = "|" + "---:|" * (len(counts) + 1)
    row = "| " + " | ".join(str(n) for n in counts.values()) + f" | {len(report.results)} |"
    return [header, rule, row]


def _failure_row(result: CheckResult) -> str:
    where = " ".join(v for v in (result.transport, result.scheme, result.method) if v)
    reason = md_escape(one_line(result.message)) if result.message else "—"
    return f"| {md_code(result.id)} | {md_escape(result.category)} | {md_escape(where) or '—'} | {reason} |"


def _failures_section(report: RunReport, limit: int) -> list[str]:
    failed = failed_by_severity(report, Severity.REQUIRED)
    lines: list[str] = []
    if failed:
        lines += ["", "### Failed required checks", "", "| Check | Category | Where | Reason |", "|---|---|---|---|"]
        lines += [_failure_row(r) for r in failed[:limit]]
        if len(failed) > limit:
            lines += ["", f"…and {len(failed) - limit} more (see report.html)."]
    recommended = failed_by_severity(report, Severity.RECOMMENDED)
    if recommended:
        lines += [
            "",
            f"{len(recommended)} recommended check(s) failed (these never fail the gate): "
            + _id_list([r.id for r in recommended]),
        ]
    return lines


def _errors_section(report: RunReport, limit: int) -> list[str]:
    errors = [r for r in report.results if r.outcome is Outcome.ERROR]
    if not errors:
        return []
    lines = [
        "",
        "### Checks the suite could not set up (error: not a finding about the server)",
        "",
        "| Check | Category | Where | Reason |",
        "|---|---|---|---|",
    ]
    lines += [_failure_row(r) for r in errors[:limit]]
    if len(errors) > limit:
        lines += ["", f"…and {len(errors) - limit} more (see report.html)."]
    return lines


def _id_list(ids: list[str]) -> str:
    shown = ", ".join(md_code(i) for i in ids[:MAX_LISTED])
    return shown + (f" and {len(ids) - MAX_LISTED} more" if len(ids) > MAX_LISTED else "")


def _stored_regressions(report: RunReport) -> list[str]:
    """The regression records of a stored report (re-rendered without its comparison)."""
    if not report.regressions:
        return []
    first = report.regressions[0]
    lines = ["", f"### Against the baseline {md_code(str(first.get('baseline') or '?'))}", ""]
    for record in report.regressions[: MAX_LISTED * 2]:
        word = "Regression" if record.get("regressed") else "Not compared"
        why = record.get("why") or f"{record.get('before')} → {record.get('after')}"
        lines.append(f"- {word}: {md_code(str(record.get('id')))} {md_escape(str(why))}")
    return lines


def _comparison_section(report: RunReport, comparison: BaselineComparison | None) -> list[str]:
    if comparison is None:
        return _stored_regressions(report)
    lines = ["", f"### Compared with the baseline of {md_escape(comparison.baseline_started)}", ""]
    items = [
        ("New failures", [c.id for c in comparison.new_failures]),
        ("No longer offered", [c.id for c in comparison.no_longer_offered]),
        ("Fixed", [c.id for c in comparison.fixed]),
        ("Missing from this run", comparison.missing),
    ]
    lines += [f"- {label}: {_id_list(ids)}" for label, ids in items if ids]
    lines += [
        f"- Throughput regression: {md_code(f.id)} {md_escape(describe_figure_change(f))}"
        for f in comparison.throughput_regressions
    ]
    lines += [
        f"- Inconclusive ({'client-bound' if f.client_bound else 'inside its noise'}): {md_code(f.id)} "
        f"{md_escape(describe_figure_change(f))}"
        for f in comparison.inconclusive_figures
    ]
    if len(lines) == 3:
        lines.append("- No changes.")
    return lines


def _figures_section(report: RunReport, limit: int) -> list[str]:
    if not report.figures:
        return []
    lines = ["", "### Top figures", "", "| Figure | Value | Transport |", "|---|---:|---|"]
    for figure in report.figures[:limit]:
        bound = "≥ " if figure.client_bound else ""
        value = f"{bound}{format_value(figure.value)} {md_escape(figure.unit)}"
        lines.append(f"| {md_escape(figure.name or figure.id)} | {value} | {md_escape(figure.transport) or '—'} |")
    if len(report.figures) > limit:
        lines += ["", f"…and {len(report.figures) - limit} more figures in report.html."]
    if any(f.client_bound for f in report.figures[:limit]):
        lines += ["", "≥: close to the client's own capacity, so a lower bound on the server's."]
    return lines


def _known_failure_notes(report: RunReport) -> list[str]:
    expected = [r.id for r in report.results if r.outcome is Outcome.EXPECTED_FAILURE]
    fixed = [r.id for r in report.results if r.outcome is Outcome.PASSED and r.message.startswith(FIXED_NOTE_PREFIX)]
    lines = []
    if expected:
        lines.append(f"- Known failures (accepted): {_id_list(expected)}")
    if fixed:
        lines.append(f"- Listed as known failures but now pass, remove them from the list: {_id_list(fixed)}")
    if report.unmatched_known_failures:
        lines.append(
            "- Known-failure entries that match no check of this run: " + _id_list(report.unmatched_known_failures)
        )
    lines += [f"- Cleanup left behind: {md_escape(one_line(p))}" for p in report.cleanup_problems[:MAX_LISTED]]
    intrusive = [r for r in report.results if r.intrusive]
    if intrusive:
        ran = [r.id for r in intrusive if r.outcome is not Outcome.SKIPPED]
        skipped = [r.id for r in intrusive if r.outcome is Outcome.SKIPPED]
        lines.append(
            f"- Intrusive probes: {_id_list(ran) if ran else 'none'} ran"
            + (f"; {_id_list(skipped)} skipped (they run only with `--intrusive`)" if skipped else "")
        )
    return ["", *lines] if lines else []


def render_summary(
    report: RunReport,
    comparison: BaselineComparison | None = None,
    max_failures: int = MAX_FAILURES,
    max_figures: int = MAX_FIGURES,
) -> str:
    """The Markdown summary for ``report`` (expects a redacted report)."""
    lines = _verdict_lines(report, comparison)
    lines += ["", *_counts_table(report)]
    lines += _failures_section(report, max_failures)
    lines += _errors_section(report, max_failures)
    lines += _known_failure_notes(report)
    lines += _comparison_section(report, comparison)
    lines += _figures_section(report, max_figures)
    lines += _run_lines(report)
    lines += _release_lines(report)
    return "\n".join(lines) + "\n"
