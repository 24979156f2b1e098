"""The "All checks" section of report.html: every check, grouped, collapsed, without repetition.

A run has ~150 checks, most of them one requirement applied to many methods,
transports or schemes ("<method> answers ... over <transport>"). So each category
is a ``<details>`` element, closed by default (its summary shows the counts), and
inside it checks that share a requirement up to their own method, transport and
scheme are listed under that requirement, written once with placeholders.
Columns a category never fills (no scheme in SURFACE) are left out.
"""

from __future__ import annotations

import re
from html import escape

from conformance.results import CheckResult, RunReport, Severity

from .common import count_outcomes, evidence_text, group_by_category
from .gate import FIXED_NOTE_PREFIX
from .html_parts import anchor, badge, name_html

CATALOGUE_CSS = """
details.category{border:1px solid #d0d7de;border-radius:6px;margin:6px 0}
details.category>summary{cursor:pointer;padding:6px 10px;background:#f6f8fa;display:flex;flex-wrap:wrap;
gap:6px;align-items:center}
details.category>summary b{min-width:110px}
details.category[open]>summary{border-bottom:1px solid #d0d7de}
.scroll{overflow-x:auto}
table.catalogue{width:100%;margin:0;border-style:hidden}
table.catalogue td,table.catalogue th{overflow-wrap:normal;word-break:normal}
table.catalogue td.id,table.catalogue td.method{font:12px ui-monospace,Menlo,monospace}
table.catalogue td.short,table.catalogue th{white-space:nowrap}
table.catalogue td.msg{overflow-wrap:anywhere;min-width:200px}
@media (min-width:1000px){table.catalogue td.id,table.catalogue td.method{white-space:nowrap}}
table.catalogue tr.req td{background:#fbfcfd;font-style:normal;color:#1f2328;border-top:2px solid #d0d7de}
.ph{font-style:italic;background:#ddf4ff;padding:0 3px;border-radius:3px}
.tag{font-size:11px;border:1px solid #fb8f44;border-radius:8px;padding:0 5px;margin-left:4px;
white-space:nowrap;font-family:sans-serif}
"""
_PLACEHOLDER = "\x00{}\x00"
# Optional columns: header, result attribute, cell class.
_DIMENSIONS = (("Transport", "transport", "short"), ("Scheme", "scheme", "short"), ("Method", "method", "method"))


def _word(value: str) -> str:
    """A whole-word pattern: ``grpc`` but not the ``grpc`` of ``grpc-gateway``."""
    return rf"(?<![\w-]){re.escape(value)}(?![\w-])"


def requirement_template(result: CheckResult) -> str:
    """The requirement with the check's own method, transport and scheme replaced by placeholders."""
    text = result.requirement
    if result.method:
        text = text.replace(result.method, _PLACEHOLDER.format("method"))
        bare = result.method.rsplit("/", 1)[-1]
        text = re.sub(_word(bare), _PLACEHOLDER.format("method"), text)
    for kind in ("transport", "scheme"):
        value = getattr(result, kind)
        if value and value not in ("both", "any"):
            text = re.sub(_word(value), _PLACEHOLDER.format(kind), text, flags=re.IGNORECASE)
    return text


def _template_html(template: str) -> str:
    return re.sub("\x00(\\w+)\x00", r'<span class="ph">\1</span>', escape(template))


def group_by_requirement(results: list[CheckResult]) -> dict[str, list[CheckResult]]:
    """Results by requirement template, groups in order of first appearance."""
    groups: dict[str, list[CheckResult]] = {}
    for result in results:
        groups.setdefault(requirement_template(result), []).append(result)
    return groups


def _message(result: CheckResult) -> str:
    message = escape(result.message)
    if result.message.startswith(FIXED_NOTE_PREFIX):
        message = f"<b>{message}</b>"
    text = evidence_text(result.evidence)
    if text:
        message += f"<details><summary>evidence</summary><pre>{escape(text)}</pre></details>"
    return message


def _row(result: CheckResult, dimensions: list[tuple[str, str, str]]) -> str:
    tag = '<span class="tag">recommended</span>' if result.severity is Severity.RECOMMENDED else ""
    if result.intrusive:
        tag += '<span class="tag" title="may upset a real server: runs there only with --intrusive">intrusive</span>'
    cells = "".join(f'<td class="{cls}">{name_html(getattr(result, attr))}</td>' for _, attr, cls in dimensions)
    return (
        f'<tr id="{anchor(result.id)}"><td class="id">{name_html(result.id)}{tag}</td>{cells}'
        f'<td class="short">{badge(result.outcome)}</td><td class="short">{result.duration_s:.2f} s</td>'
        f'<td class="msg">{_message(result)}</td></tr>'
    )


def _group(template: str, results: list[CheckResult], dimensions: list[tuple[str, str, str]]) -> str:
    span = len(dimensions) + 4
    count = f' <span class="muted">({len(results)} checks)</span>' if len(results) > 1 else ""
    head = f'<tr class="req"><td colspan="{span}">{_template_html(template)}{count}</td></tr>'
    return head + "".join(_row(r, dimensions) for r in results)


def _summary(category: str, results: list[CheckResult]) -> str:
    counts = "".join(badge(o, f"{n} {o}") for o, n in count_outcomes(results).items() if n)
    return f"<summary><b>{escape(category)}</b> {len(results)} checks {counts}</summary>"


def category_table(category: str, results: list[CheckResult]) -> str:
    """One category as a closed ``<details>`` holding its table."""
    dimensions = [d for d in _DIMENSIONS if any(getattr(r, d[1]) for r in results)]
    head = (
        "<thead><tr><th>ID</th>"
        + "".join(f"<th>{h}</th>" for h, _, _ in dimensions)
        + "<th>Outcome</th><th>Time</th><th>Message</th></tr></thead>"
    )
    body = "".join(_group(t, rs, dimensions) for t, rs in group_by_requirement(results).items())
    return (
        f'<details class="category" id="category-{escape(category)}">{_summary(category, results)}'
        f'<div class="scroll"><table class="catalogue" id="catalogue-{escape(category)}">{head}'
        f"<tbody>{body}</tbody></table></div></details>"
    )


def catalogue_section(report: RunReport) -> str:
    parts = [
        '<h2>All checks</h2><p class="muted">One block per category; open one to see its checks. '
        "Checks that share a requirement are listed under it once.</p>"
    ]
    parts += [category_table(c, rs) for c, rs in group_by_category(report.results).items()]
    if not report.results:
        parts.append('<p class="muted">The run produced no check results.</p>')
    return "".join(parts)
