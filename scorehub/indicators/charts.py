"""Charts for the PDF report as SVG drawn on the server: vector graphics that WeasyPrint embeds as
such (no raster images, no JavaScript).  Simple on purpose: bars and lines with labelled axes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .formatting import display

FONT = "Noto Sans CJK SC, sans-serif"
PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#ffc107"]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(10 * magnitude)


def _num(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(value)
    return float(value)  # type: ignore[arg-type]


def bar_chart(labels: Sequence[str], values: Sequence[object], *, unit: str = "count", width: int = 640) -> SafeString:
    """Horizontal bars, one per label, with the value written at the end of each bar."""
    row, left, right = 22, 150, 90
    height = max(row * len(labels) + 20, 40)
    top = _nice_max(max((_num(v) for v in values), default=0))
    span = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" font-size="10" role="img">'
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 10 + index * row
        length = span * _num(value) / top if top else 0
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(label[:24])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{PALETTE[0]}"/>'
            f'<text x="{left + length + 4:.1f}" y="{y + 13}">{escape(display(unit, value))}</text>'  # type: ignore[arg-type]
        )
    parts.append(f'<line x1="{left}" y1="6" x2="{left}" y2="{height - 6}" stroke="#999" stroke-width="0.5"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def line_chart(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[object]]], *, width: int = 640, height: int = 220
) -> SafeString:
    """One line per series over the categories (months), with a legend below."""
    left, right, top_pad, bottom = 50, 20, 12, 58
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = _nice_max(max((_num(v) for _, values in series for v in values), default=0))
    n = max(len(categories), 1)
    step = plot_w / max(n - 1, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" font-size="9" role="img">'
    ]
    for tick in range(5):
        value = top * tick / 4
        y = top_pad + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd" stroke-width="0.5"/>'
            f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{escape(display("count", value))}</text>'
        )
    every = max(1, n // 12)
    for index, category in enumerate(categories):
        if index % every:
            continue
        x = left + step * index
        parts.append(f'<text x="{x:.1f}" y="{top_pad + plot_h + 12}" text-anchor="middle">{escape(category)}</text>')
    for s_index, (name, values) in enumerate(series):
        color = PALETTE[s_index % len(PALETTE)]
        points = " ".join(
            f"{left + step * i:.1f},{top_pad + plot_h - plot_h * _num(v) / top:.1f}" for i, v in enumerate(values)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        legend_y = height - bottom + 30 + 12 * (s_index // 2)
        legend_x = left + (s_index % 2) * (plot_w / 2)
        parts.append(
            f'<rect x="{legend_x:.1f}" y="{legend_y - 7}" width="10" height="3" fill="{color}"/>'
            f'<text x="{legend_x + 14:.1f}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
