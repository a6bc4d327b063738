"""Charts as inline SVG drawn on the server: no chart library, readable without JS, printable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

from plugin.i18n import format_compact, format_number

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 40


@dataclass(frozen=True)
class Series:
    """One coloured set of bars, a value per label."""

    name: str
    color: str
    values: Sequence[int | Decimal]


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], language: str) -> Markup:
    """Grouped bars, one group per label, one bar per series, with a y axis from zero to the largest value.

    The values read in `language`'s number format."""
    top = max([max((float(v) for v in s.values), default=0.0) for s in series] + [0.0]) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#a1a1aa"/>',
    ]
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#52525b">'
            f"{format_compact(value, language)}</text>"
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#f4f4f5"/>'
        )
    label_every = max(len(labels) // 8, 1)
    for index, label in enumerate(labels):
        x0 = LEFT + index * group_w + group_w * 0.1
        for number, one in enumerate(series):
            value = float(one.values[index])
            height = plot_h * max(value, 0.0) / top
            parts.append(
                f'<rect x="{x0 + number * bar_w:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{one.color}"><title>{escape(one.name)} {escape(label)}: '
                f"{format_number(one.values[index], language)}</title></rect>"
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x0 + group_w * 0.4:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="11" fill="#52525b">{escape(label)}</text>'
            )
    for number, one in enumerate(series):
        x = LEFT + number * 150
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{one.color}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 5}" font-size="11">{escape(one.name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
