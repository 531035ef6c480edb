"""Inline SVG charts for the HTML review: stacked columns, drawn here so the file needs no script.

``stacked_columns`` draws one column per label, stacking the series' values; in percent mode every
column is scaled to 100% (a mix chart), otherwise the y axis gets round ticks (a spend chart). Each
segment carries a ``<title>``, which browsers show as a tooltip, so exact values are available
offline without JavaScript. Every name is escaped; the output references nothing outside itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 30, 26


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    color: str


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``maximum`` (about ``count`` steps)."""
    if not maximum > 0 or math.isinf(maximum):
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < maximum - 1e-12 * maximum:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def _text(x: float, y: float, text: str, anchor: str = "middle", css: str = "tick") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{escape(text)}</text>'


def stacked_columns(
    labels: list[str],
    series: list[Series],
    *,
    percent: bool,
    value_format: Callable[[float], str],
    title: str,
    divider_at: int | None = None,
    group_labels: tuple[str, str] | None = None,
) -> str:
    """An ``<svg>`` of stacked columns; ``divider_at`` draws a dashed line before that column."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    slot = plot_w / n
    bar_w = slot * 0.72
    totals = [sum(s.values[i] for s in series if i < len(s.values)) for i in range(len(labels))]
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if percent else nice_ticks(max(totals, default=0.0))
    top = ticks[-1] or 1.0
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{escape(title)}" '
             f'class="chart"><title>{escape(title)}</title>']
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(_text(LEFT - 6, y + 4, f"{100 * tick:.0f}%" if percent else value_format(tick), "end"))
    for i, label in enumerate(labels):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = float(TOP + plot_h)
        total = totals[i]
        for s in series:
            value = s.values[i] if i < len(s.values) else 0.0
            if value <= 0 or total <= 0:
                continue
            height = plot_h * (value / total if percent else value / top)
            base -= height
            shown = f"{value_format(value)} ({100 * value / total:.1f}%)"
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                         f'fill="{s.color}"><title>{escape(f"{label} · {s.name}: {shown}")}</title></rect>')
        if total <= 0:
            parts.append(_text(x + bar_w / 2, TOP + plot_h - 4, "–", css="empty"))
        parts.append(_text(x + bar_w / 2, TOP + plot_h + 16, label))
    if divider_at is not None and 0 < divider_at < len(labels):
        x = LEFT + divider_at * slot
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 22}" y2="{TOP + plot_h + 4}" class="divider"/>')
        if group_labels is not None:
            parts.append(_text(LEFT + divider_at * slot / 2, TOP - 12, group_labels[0], css="group"))
            parts.append(_text(x + (len(labels) - divider_at) * slot / 2, TOP - 12, group_labels[1], css="group"))
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" class="axis"/>')
    parts.append("</svg>")
    return "".join(parts)
