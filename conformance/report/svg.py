"""Inline SVG bar charts for throughput and latency figures.

Hand-written SVG keeps report.html a single file with no JavaScript or chart
library. Figures are charted one unit per chart, since events/s and ms share
no axis. Client-bound figures are drawn hatched and labelled "≥": they are
lower bounds on the server, set by the client's own decode capacity.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from conformance.results import Figure

from .common import format_value

BAR_COLOUR = "#0969da"
BOUND_COLOUR = "#54aeff"
BASELINE_COLOUR = "#1f2328"
_LABEL_W = 300
_BAR_W = 560
_VALUE_W = 140
_ROW_H = 30
_BAR_H = 18
_TOP = 28


def group_by_unit(figures: Iterable[Figure]) -> dict[str, list[Figure]]:
    groups: dict[str, list[Figure]] = {}
    for figure in figures:
        groups.setdefault(figure.unit, []).append(figure)
    return groups


def _truncate(text: str, limit: int = 42) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bar(index: int, figure: Figure, scale: float, baseline: float | None, hatch: str) -> list[str]:
    y = _TOP + index * _ROW_H
    width = max(figure.value, 0.0) * scale
    label = figure.name or figure.id
    mark = baseline * scale if baseline is not None and baseline > 0 else 0.0   # keep the value clear of it
    fill = f"url(#{hatch})" if figure.client_bound else BAR_COLOUR
    value = ("≥ " if figure.client_bound else "") + f"{format_value(figure.value)} {figure.unit}"
    tip = f"{figure.id}: {value}" + (f" (baseline {format_value(baseline)})" if baseline is not None else "")
    parts = [
        f'<g><title>{escape(tip)}</title>',
        f'<text x="{_LABEL_W - 8}" y="{y + _BAR_H - 4}" text-anchor="end" class="lbl">'
        f'{escape(_truncate(label))}</text>',
        f'<rect x="{_LABEL_W}" y="{y}" width="{width:.1f}" height="{_BAR_H}" fill="{fill}" '
        f'stroke="{BAR_COLOUR}" stroke-width="{1 if figure.client_bound else 0}"/>',
        f'<text x="{_LABEL_W + max(width, mark) + 6:.1f}" y="{y + _BAR_H - 4}" class="val">{escape(value)}</text>',
    ]
    if mark:
        bx = _LABEL_W + mark
        parts.append(f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{y - 3}" y2="{y + _BAR_H + 3}" '
                     f'stroke="{BASELINE_COLOUR}" stroke-width="2" stroke-dasharray="3 2"/>')
    parts.append("</g>")
    return parts


def bar_chart(unit: str, figures: list[Figure], baselines: dict[str, float] | None = None,
              chart_id: str = "chart") -> str:
    """One horizontal bar chart (inline SVG) for figures sharing ``unit``.

    ``baselines`` maps figure IDs to the baseline's value, drawn as a dashed mark;
    ``chart_id`` keeps element IDs unique when a page holds several charts.
    """
    hatch = f"{chart_id}-hatch"
    baselines = baselines or {}
    peak = max([f.value for f in figures] + [baselines.get(f.id, 0.0) for f in figures] + [0.0])
    scale = (_BAR_W / peak) if peak > 0 else 0.0
    height = _TOP + len(figures) * _ROW_H + 8
    width = _LABEL_W + _BAR_W + _VALUE_W
    title = f"Figures in {unit}" if unit else "Figures"
    parts = [
        f'<svg class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{BOUND_COLOUR}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BAR_COLOUR}" stroke-width="2"/></pattern></defs>',
        f'<text x="0" y="16" class="ttl">{escape(title)}</text>',
        f'<line x1="{_LABEL_W}" x2="{_LABEL_W}" y1="{_TOP - 4}" y2="{height - 4}" stroke="#d0d7de"/>',
    ]
    for index, figure in enumerate(figures):
        parts += _bar(index, figure, scale, baselines.get(figure.id), hatch)
    parts.append("</svg>")
    return "\n".join(parts)
