"""Bar charts drawn on the server as inline SVG: no script, no CDN, nothing the CSP refuses.

A chart is a picture of the table printed beside it, which is the data for screen readers and
for copying: the SVG is role="img" with a title naming what it shows. Colours come from classes
in paydesk.css (inline style would break the CSP). Negative values (a month whose reversals
outweigh its write-offs) are drawn below the zero line.
"""

from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 28, 44
SERIES_CLASSES = 6  # chart-s0 .. chart-s5 in paydesk.css

Number = int | Decimal


def bar_chart(
    title: str, categories: list[str], series: list[tuple[str, list[Number]]]
) -> SafeString:
    """Grouped bars: one group per category, one bar per series, with a legend."""
    values = [Decimal(v) for _, vs in series for v in vs]
    high = max([Decimal(0), *values])
    low = min([Decimal(0), *values])
    span = (high - low) or Decimal(1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: Number) -> float:
        return TOP + float((high - Decimal(value)) / span) * plot_h

    group_w = plot_w / max(len(categories), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text class="chart-axis" x="{LEFT - 6}" y="{y(high) + 4:.1f}" text-anchor="end">'
        f"{_short(high)}</text>",
        f'<line class="chart-zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" '
        f'y2="{y(0):.1f}"/>',
        f'<text class="chart-axis" x="{LEFT - 6}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>',
    ]
    if low < 0 and y(low) - y(0) > 12:  # closer, its label would print over the zero's
        parts.append(
            f'<text class="chart-axis" x="{LEFT - 6}" y="{y(low) + 4:.1f}" text-anchor="end">'
            f"{_short(low)}</text>"
        )
    # Label every nth category so that labels never overlap.
    every = max(1, round(len(categories) / 12))
    for i, category in enumerate(categories):
        x0 = LEFT + i * group_w + group_w * 0.1
        for j, (name, vs) in enumerate(series):
            value = Decimal(vs[i])
            top, bottom = sorted((y(value), y(0)))
            parts.append(
                f'<rect class="chart-s{j % SERIES_CLASSES}" x="{x0 + j * bar_w:.1f}" '
                f'y="{top:.1f}" width="{bar_w:.1f}" height="{max(bottom - top, 0.5):.1f}">'
                f"<title>{escape(category)} {escape(name)}: {value}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text class="chart-axis" x="{x0 + group_w * 0.4:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(category)}</text>'
            )
    for j, (name, _) in enumerate(series):
        x = LEFT + j * 130
        parts.append(
            f'<rect class="chart-s{j % SERIES_CLASSES}" x="{x}" y="{HEIGHT - 14}" width="10" '
            f'height="10"/><text class="chart-legend" x="{x + 14}" y="{HEIGHT - 5}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _short(value: Decimal) -> str:
    """An axis label: 12.3k, 4.5M, whole units below a thousand."""
    magnitude = abs(value)
    for size, suffix in ((Decimal(10) ** 9, "G"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k")):
        if magnitude >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:.0f}"
