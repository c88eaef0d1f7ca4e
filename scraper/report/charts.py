"""Inline SVG charts of the report, drawn without any library or script."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from html import escape

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f77b4",
    "#2ca02c",
)
OTHERS = "#888888"


def color(index: int) -> str:
    """The colour of the ``index``-th series."""
    return PALETTE[index % len(PALETTE)]


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    )


def nice_ceiling(value: int) -> int:
    """The smallest of 4, 6, 8, 10, 20, 40, 60, 80, 100, 200... that is at least ``value``.

    Each divides by four into round grid steps.
    """
    step = 1
    while True:
        for factor in (4, 6, 8, 10) if step == 1 else (2, 4, 6, 8, 10):
            if step * factor >= value:
                return step * factor
        step *= 10


def stacked_bars(
    days: list[str], series: Mapping[str, Counter[str]], colors: list[str], height: int = 220
) -> str:
    """One bar per day, stacked by series in ``series`` order, each in its colour of ``colors``."""
    step = max(4, min(24, 900 // max(1, len(days))))
    left, right, top, bottom = 44, 12, 12, 36
    width = left + step * len(days) + right
    plot = height - top - bottom
    totals = [sum(counts.get(day, 0) for counts in series.values()) for day in days]
    peak = nice_ceiling(max(totals, default=0) or 1)
    parts = [_svg_open(width, height, "Articles written per day")]
    for tick in range(5):
        value = peak * tick // 4
        y = top + plot - plot * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    label_every = max(1, -(-48 // step))
    for index, day in enumerate(days):
        x = left + index * step
        base: float = top + plot
        for position, (name, counts) in enumerate(series.items()):
            count = counts.get(day, 0)
            if not count:
                continue
            bar = plot * count / peak
            base -= bar
            parts.append(
                f'<rect x="{x + 1}" y="{base:.1f}" width="{max(1, step - 2)}" height="{bar:.1f}" '
                f'fill="{colors[position]}"><title>{escape(name)} {day}: {count}</title></rect>'
            )
        if (len(days) - 1 - index) % label_every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{day[5:]}</text>'
            )
    if not any(totals):
        parts.append(
            f'<text x="{left + 10}" y="{top + plot / 2:.1f}">'
            "no article written in the period</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(counts: Counter[str], limit: int = 12, row: int = 22, width: int = 480) -> str:
    """One labelled bar per key, largest first; keys past ``limit`` are added up as "other"."""
    ranked = counts.most_common()
    rows = ranked[:limit]
    rest = sum(count for _, count in ranked[limit:])
    if rest:
        rows.append(("other", rest))
    label, value = 90, 70
    height = row * max(1, len(rows)) + 8
    peak = max((count for _, count in rows), default=0) or 1
    span = width - label - value
    parts = [_svg_open(width, height, "Articles per language")]
    for index, (key, count) in enumerate(rows):
        y = 4 + index * row
        bar = max(1.0, span * count / peak)
        fill = OTHERS if key == "other" and rest else color(index)
        parts.append(
            f'<text x="{label - 8}" y="{y + row / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(key)}</text>'
            f'<rect x="{label}" y="{y + 3}" width="{bar:.1f}" height="{row - 6}" fill="{fill}">'
            f"<title>{escape(key)}: {count}</title></rect>"
            f'<text x="{label + bar + 6:.1f}" y="{y + row / 2 + 4:.1f}">{count:,}</text>'
        )
    if not rows:
        parts.append(f'<text x="8" y="{row / 2 + 4:.1f}">no article in the corpus</text>')
    parts.append("</svg>")
    return "".join(parts)
