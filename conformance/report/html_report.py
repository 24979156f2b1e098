"""``report.html``: the compliance report people read, as ONE self-contained file.

Inline CSS and inline SVG only: no scripts, no fonts, no external URLs, so the
file can be attached to a ticket or opened offline years later and still look
the same. A Content-Security-Policy meta tag forbids scripts and remote loads
as a second line of defence; the first is that every piece of text coming from
the target (messages, evidence, target description) goes through
:func:`html.escape`.

Order on the page: verdict banner, run facts, outcome counts, the method x
transport and scheme x transport matrices, failures with evidence, baseline
changes, throughput figures, then the whole catalogue: one closed ``<details>`` per category.
"""

from __future__ import annotations

import json
from html import escape

from conformance.results import CheckResult, Outcome, RunReport, Severity

from .bars import BARS_CSS, figure_table, group_by_unit
from .common import (
    Matrix,
    MatrixCell,
    count_outcomes,
    duration_between,
    evidence_text,
    failed_by_severity,
    method_matrix,
    release_label,
    scheme_matrix,
    target_label,
)
from .gate import BaselineComparison, describe_figure_change
from .html_catalogue import CATALOGUE_CSS, catalogue_section
from .html_parts import FAIL_COLOUR, OUTCOME_COLOURS, PASS_COLOUR, anchor, badge, css_name, name_html
from .record import record_lines
from .verdict import verdict_of

__all__ = ["FAIL_COLOUR", "OUTCOME_COLOURS", "PASS_COLOUR", "render_html"]
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _css() -> str:
    cells = "\n".join(f".o-{css_name(name)}{{background:{colour};}}" for name, colour in OUTCOME_COLOURS.items())
    return (
        f"""
*{{box-sizing:border-box}}
body{{margin:0;font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;
background:#fff}}
main{{max-width:1200px;margin:0 auto;padding:0 24px 48px}}
.verdict{{color:#fff;padding:22px 32px;display:flex;flex-wrap:wrap;align-items:center;gap:8px 32px}}
.notes,.verdict .why,.msg,.failure{{overflow-wrap:anywhere;min-width:0}}
.notes{{border-left:4px solid {OUTCOME_COLOURS["warning"]};background:#fff8f0;padding:6px 12px;margin:12px 0}}
.verdict.pass{{background:{PASS_COLOUR}}}.verdict.fail{{background:{FAIL_COLOUR}}}
.verdict.error{{background:{OUTCOME_COLOURS["error"]}}}
.verdict .big{{font-size:64px;font-weight:800;letter-spacing:2px;line-height:1}}
.verdict .why{{font-size:16px}}.verdict .why ul{{margin:4px 0 0;padding-left:20px}}
h1{{font-size:20px;margin:0 0 2px}}h2{{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;
padding-bottom:4px}}h3{{font-size:15px;margin:18px 0 6px}}
dl.facts{{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0}}
dl.facts dt{{font-weight:600}}dl.facts dd{{margin:0;word-break:break-word}}
.counts{{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}}
.chip{{padding:4px 10px;border-radius:12px;font-weight:600}}
table{{border-collapse:collapse;margin:6px 0 12px}}
th,td{{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}}
th{{background:#f6f8fa}}
table.matrix th,table.matrix td{{padding:2px 8px;white-space:nowrap}}
table.matrix td.cell{{min-width:120px;font-weight:600}}
table.matrix td.cell a{{color:inherit;text-decoration:none;display:block}}
table.matrix td.cell small{{font-weight:400}}
.matrices{{display:flex;flex-wrap:wrap;gap:32px;align-items:flex-start}}.matrices>div{{max-width:100%}}
.badge{{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
white-space:nowrap}}
.o-failed,.o-error,.o-not-offered{{color:#fff}}
pre{{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow:auto;max-height:420px;
white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}}
.failure{{border-left:4px solid {FAIL_COLOUR};padding:4px 12px;margin:12px 0}}
.failure.recommended{{border-left-color:{OUTCOME_COLOURS["warning"]}}}
.failure.error{{border-left-color:{OUTCOME_COLOURS["error"]}}}
.muted{{color:#59636e}}
.msg{{white-space:pre-wrap}}
.legend{{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 0;font-size:12px}}
{cells}
"""
        + BARS_CSS
        + CATALOGUE_CSS
    )


# --------------------------------------------------------------------------- sections


def _verdict(report: RunReport, comparison: BaselineComparison | None) -> str:
    verdict = verdict_of(report, comparison)
    state = "pass" if verdict.passed else "error" if verdict.word == "error" else "fail"
    head = (
        f"<h1>Armada conformance — {escape(target_label(report.target))}</h1>"
        f"<div>release {escape(release_label(report))} · suite {escape(report.suite_version)}"
        + (f" · server {escape(report.server_version)}" if report.server_version else "")
        + "</div>"
    )
    reasons = verdict.reasons
    if reasons:
        shown = "".join(f"<li>{escape(r)}</li>" for r in reasons[:5])
        more = f"<li>…and {len(reasons) - 5} more</li>" if len(reasons) > 5 else ""
        why = f"{head}<ul>{shown}{more}</ul>"
    else:
        why = f"{head}<div>Every required check passed.</div>"
    return (
        f'<header class="verdict {state}" id="verdict"><div class="big">{verdict.headline}</div>'
        f'<div class="why">{why}</div></header>'
    )


def _facts(report: RunReport) -> str:
    duration = duration_between(report.started, report.finished)
    rows = [
        ("Target", _json_inline(report.target)),
        ("Release judged", escape(release_label(report))),
        ("Its features", escape(", ".join(report.target.get("features", [])) or "not recorded")),
        ("Suite version", escape(report.suite_version)),
        ("Server version", escape(report.server_version or "unknown")),
        ("Started", escape(report.started)),
        ("Finished", escape(report.finished) + (f" ({duration:.1f} s)" if duration is not None else "")),
        ("Machine", _json_inline(report.machine)),
        ("Schema", escape(report.schema_version)),
        *((label, escape(text)) for label, text in record_lines(report.run)),
    ]
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<dl class="facts">{body}</dl>'


def _json_inline(data: dict[str, object]) -> str:
    if not data:
        return '<span class="muted">—</span>'
    return "; ".join(f"<b>{escape(str(k))}</b>: {escape(_plain(v))}" for k, v in data.items())


def _plain(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _counts(report: RunReport) -> str:
    chips = "".join(
        f'<span class="chip o-{css_name(str(o))}">{n} {escape(str(o))}</span>'
        for o, n in count_outcomes(report.results).items()
    )
    return f'<div class="counts">{chips}<span class="chip">{len(report.results)} checks</span></div>'


def _cell(cell: MatrixCell) -> str:
    outcome = cell.outcome
    if outcome is None:
        return '<td class="cell o-none muted" title="no check">—</td>'
    name = "warning" if cell.recommended_only_failure else str(outcome)
    label = "recommended failed" if cell.recommended_only_failure else str(outcome)
    title = cell.summary() + ": " + ", ".join(c.id for c in cell.checks)
    target = next((c for c in cell.checks if c.outcome is outcome), cell.checks[0])
    count = len(cell.checks)
    return (
        f'<td class="cell o-{css_name(name)}" title="{escape(title)}">'
        f'<a href="#{anchor(target.id)}">{escape(label)} <small>({count} check'
        f"{'s' if count != 1 else ''})</small></a></td>"
    )


def _matrix(matrix: Matrix) -> str:
    if not matrix.rows:
        return (
            f'<div><h3>{escape(matrix.title)}</h3><p class="muted">No check in this run names '
            f"a {escape(matrix.row_label.lower())}.</p></div>"
        )
    head = "".join(f"<th>{escape(c)}</th>" for c in matrix.columns)
    rows = "".join(
        f"<tr><th>{escape(row)}</th>" + "".join(_cell(matrix.cell(row, c)) for c in matrix.columns) + "</tr>"
        for row in matrix.rows
    )
    return (
        f'<div class="scroll"><h3>{escape(matrix.title)}</h3><table class="matrix" id="matrix-'
        f'{escape(matrix.row_label.lower())}"><tr><th>{escape(matrix.row_label)}</th>{head}</tr>'
        f"{rows}</table></div>"
    )


def _legend() -> str:
    """What the matrix colours mean; a cell shows the most alarming outcome of its checks."""
    labels = {"warning": "recommended failed", "none": "no check"}
    items = "".join(badge(name, labels.get(name, name)) for name in OUTCOME_COLOURS)
    return (
        f'<div class="legend"><span class="muted">A cell shows the most alarming outcome of its '
        f"checks:</span>{items}</div>"
    )


def _run_notes(report: RunReport) -> str:
    """What happened to the run itself: interrupted, cleanup left things behind, unmatched known failures."""
    notes = []
    if report.interrupted:
        notes.append(
            f"The run was stopped by {escape(report.interrupted)} after {len(report.results)} check(s); "
            "checks after that did not run."
        )
    notes += [f"Cleanup left behind: {escape(p)}" for p in report.cleanup_problems]
    if report.unmatched_known_failures:
        notes.append(
            "Known-failure entries that match no check of this run (a typo, or outside the selection): "
            + ", ".join(f"<code>{escape(i)}</code>" for i in report.unmatched_known_failures)
        )
    if not notes:
        return ""
    return '<div class="notes" id="run-notes">' + "".join(f"<p>{n}</p>" for n in notes) + "</div>"


def _where(result: CheckResult) -> str:
    parts = [("transport", result.transport), ("scheme", result.scheme), ("method", result.method)]
    return " · ".join(f"{k} {escape(v)}" for k, v in parts if v)


def _evidence(result: CheckResult) -> str:
    """Evidence one click away: a failure stays one screen line until someone wants the detail."""
    text = evidence_text(result.evidence)
    if not text:
        return ""
    lines = text.count("\n") + 1
    return f"<details><summary>evidence ({lines} lines)</summary><pre>{escape(text)}</pre></details>"


def _failure(result: CheckResult) -> str:
    kind = "recommended" if result.severity is Severity.RECOMMENDED else "required"
    return (
        f'<div class="failure {kind}"><h3>{name_html(result.id)} '
        f'<span class="muted">({escape(result.category)}, {kind})</span></h3>'
        f'<div>{escape(result.requirement)}</div><div class="muted">{_where(result)}</div>'
        f'<p class="msg">{escape(result.message) or "<i>no message</i>"}</p>{_evidence(result)}</div>'
    )


def _failures(report: RunReport) -> str:
    required = failed_by_severity(report, Severity.REQUIRED)
    recommended = failed_by_severity(report, Severity.RECOMMENDED)
    if not required and not recommended:
        return "<h2>Failures</h2><p>No check failed.</p>"
    parts = [f"<h2>Failures ({len(required)} required, {len(recommended)} recommended)</h2>"]
    parts += [_failure(r) for r in required]
    if recommended:
        parts.append("<h3>Recommended checks that failed (they never fail the gate)</h3>")
        parts += [_failure(r) for r in recommended]
    return "".join(parts)


def _errors(report: RunReport) -> str:
    """Checks the suite could not set up: apart from the failures, since they say nothing about the server."""
    errors = [r for r in report.results if r.outcome is Outcome.ERROR]
    if not errors:
        return ""
    head = (
        f"<h2>Could not be set up ({len(errors)} error{'s' if len(errors) != 1 else ''})</h2>"
        "<p>The suite or its environment could not prepare these checks (e.g. create their queue): "
        "a problem to fix on the suite's side, not a finding about the server. They fail the gate.</p>"
    )
    return head + "".join(_failure(r).replace('class="failure ', 'class="failure error ', 1) for r in errors)


def _id_items(ids: list[str]) -> str:
    return ", ".join(f'<a href="#{anchor(i)}">{escape(i)}</a>' for i in ids) or "—"


def _comparison(comparison: BaselineComparison | None) -> str:
    if comparison is None:
        return ""
    rows = [
        ("New failures", _id_items([c.id for c in comparison.new_failures])),
        ("No longer offered", _id_items([c.id for c in comparison.no_longer_offered])),
        ("Fixed", _id_items([c.id for c in comparison.fixed])),
        ("Missing from this run", escape(", ".join(comparison.missing)) or "—"),
        (
            "Throughput regressions",
            "<br>".join(
                f"{escape(f.id)}: {escape(describe_figure_change(f))}" for f in comparison.throughput_regressions
            )
            or "—",
        ),
        (
            "Inconclusive (client-bound)",
            "<br>".join(f"{escape(f.id)}: {escape(describe_figure_change(f))}" for f in comparison.inconclusive_figures)
            or "—",
        ),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<h2>Compared with the baseline</h2><p class="muted">Baseline run started '
        f"{escape(comparison.baseline_started)} (suite {escape(comparison.baseline_suite_version)}); "
        f"figures may get {comparison.tolerance:.0%} worse before they count as a regression.</p>"
        f"<table>{body}</table>"
    )


def _charts(report: RunReport, comparison: BaselineComparison | None) -> str:
    if not report.figures:
        return '<h2>Throughput</h2><p class="muted">No figures were measured in this run.</p>'
    baselines = {f.id: f.before for f in comparison.figures} if comparison else {}
    tables = [
        figure_table(unit, figures, baselines, table_id=f"figures-{n}")
        for n, (unit, figures) in enumerate(group_by_unit(report.figures).items())
    ]
    note = (
        '<p class="muted">Hatched bars (≥) are close to the client\'s own decode capacity: lower '
        "bounds on the server's. Dashed marks show the baseline.</p>"
    )
    return "<h2>Throughput</h2>" + note + "".join(tables)


def render_html(report: RunReport, comparison: BaselineComparison | None = None) -> str:
    """The whole report page (expects a redacted report)."""
    title = f"Armada conformance — {target_label(report.target)} — {report.started}"
    body = "".join(
        [
            _verdict(report, comparison),
            "<main>",
            _facts(report),
            _run_notes(report),
            _counts(report),
            '<h2>Coverage</h2><div class="matrices">',
            _matrix(method_matrix(report)),
            _matrix(scheme_matrix(report)),
            "</div>",
            _legend(),
            _failures(report),
            _errors(report),
            _comparison(comparison),
            _charts(report, comparison),
            catalogue_section(report),
            "</main>",
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_css()}</style></head>"
        f"<body>{body}</body></html>\n"
    )
