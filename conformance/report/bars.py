"""Throughput and latency figures as HTML tables with CSS bars.

A table rather than a drawing so a label is always whole: it wraps at word
boundaries like any text, and "…latency p50" can never be cut to read the same
as "…latency p99". One table per unit, since events/s and ms share no axis.
Client-bound figures are hatched and marked "≥": lower bounds on the server,
set by the client's own decode capacity. Bars are widths in percent set in
``style`` attributes, which the page's Content-Security-Policy allows (no
script, no remote load is needed).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from conformance.results import Figure

from .common import format_value
from .gate import lower_is_better
from .html_parts import name_html

BAR_COLOUR = "#0969da"
BOUND_COLOUR = "#54aeff"
BASELINE_COLOUR = "#1f2328"

BARS_CSS = f"""
table.figures{{width:100%;max-width:1000px}}
table.figures th.flabel{{font-weight:400;background:none;width:40%}}
table.figures td.fbar{{width:45%;vertical-align:middle}}
table.figures td.fval{{white-space:nowrap;font-weight:600;text-align:right}}
table.figures caption{{text-align:left;font-weight:700;padding:4px 0}}
.fid{{font:11px ui-monospace,Menlo,monospace;color:#59636e}}
.track{{position:relative;height:16px}}
.bar{{position:absolute;left:0;top:0;bottom:0;background:{BAR_COLOUR}}}
.bar.bound{{background:repeating-linear-gradient(45deg,{BOUND_COLOUR} 0 4px,{BAR_COLOUR} 4px 6px)}}
.mark{{position:absolute;top:-3px;bottom:-3px;border-left:2px dashed {BASELINE_COLOUR}}}
"""


def group_by_unit(figures: Iterable[Figure]) -> dict[str, list[Figure]]:
    groups: dict[str, list[Figure]] = {}
    for figure in figures:
        groups.setdefault(figure.unit, []).append(figure)
    return groups


def _value(figure: Figure) -> str:
    return ("≥ " if figure.client_bound else "") + f"{format_value(figure.value)} {figure.unit}"


def _row(figure: Figure, peak: float, baseline: float | None) -> str:
    width = 100 * max(figure.value, 0.0) / peak if peak > 0 else 0.0
    tip = f"{figure.id}: {_value(figure)}" + (f" (baseline {format_value(baseline)})" if baseline is not None else "")
    bar = f'<span class="bar{" bound" if figure.client_bound else ""}" style="width:{width:.1f}%"></span>'
    if baseline is not None and baseline > 0 and peak > 0:
        bar += f'<i class="mark" style="left:{100 * baseline / peak:.1f}%"></i>'
    return (
        f'<tr title="{escape(tip)}"><th class="flabel">{escape(figure.name or figure.id)}'
        f'<div class="fid">{name_html(figure.id)}</div></th>'
        f'<td class="fbar"><div class="track">{bar}</div></td><td class="fval">{escape(_value(figure))}</td></tr>'
    )


def figure_table(
    unit: str, figures: list[Figure], baselines: dict[str, float] | None = None, table_id: str = "figures"
) -> str:
    """One table of figures sharing ``unit``; ``baselines`` maps figure IDs to the baseline's value."""
    baselines = baselines or {}
    peak = max([f.value for f in figures] + [baselines.get(f.id, 0.0) for f in figures] + [0.0])
    better = "lower is better" if lower_is_better(unit) else "higher is better"
    caption = f"{unit} ({better})" if unit else "Figures"
    rows = "".join(_row(f, peak, baselines.get(f.id)) for f in figures)
    return f'<table class="figures" id="{escape(table_id)}"><caption>{escape(caption)}</caption>{rows}</table>'
