"""The picture of `make bench-scale`: training time and peak memory against corpus size, log-log.

Written as plain SVG text, so the benchmark needs no plotting library and the file diffs as text. Two
panels side by side; each shows the measured points joined, a dashed line of linear growth from the
smallest size (a slope of 1 on these axes), and the targets as red marks.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

PANEL_WIDTH, PANEL_HEIGHT = 380, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 62, 16, 34, 46
PANELS = (("train_seconds", "training time (s)", 0), ("peak_rss_mb", "peak memory (MB)", 1))


def write_plot(path: Path, rows: list[dict], targets: dict[int, tuple]) -> Path:
    """Write the SVG picture of `rows` (bench.scale's results) with `targets` to `path`."""
    if not rows:
        raise ValueError("nothing to plot: no measured size")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * PANEL_WIDTH}" height="{PANEL_HEIGHT}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{2 * PANEL_WIDTH}" height="{PANEL_HEIGHT}" fill="white"/>',
    ]
    for key, title, index in PANELS:
        marks = [(size, goal[index]) for size, goal in targets.items() if goal[index] is not None]
        parts += _panel(index * PANEL_WIDTH, key, title, rows, marks)
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def decades(low: float, high: float) -> tuple[int, int]:
    """The powers of ten just below `low` and just above `high`."""
    return math.floor(math.log10(low)), max(math.ceil(math.log10(high)), math.floor(math.log10(low)) + 1)


def _panel(left: int, key: str, title: str, rows: list[dict], marks: list[tuple[int, float]]) -> list[str]:
    sizes = [row["documents"] for row in rows]
    values = [row[key] for row in rows]
    linear = [values[0] * size / sizes[0] for size in sizes]
    x_range = decades(min(sizes), max(sizes))
    y_range = decades(min(values), max([*values, *linear, *(goal for _, goal in marks)]))
    width = PANEL_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    height = PANEL_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x(value: float) -> float:
        return left + MARGIN_LEFT + width * (math.log10(value) - x_range[0]) / (x_range[1] - x_range[0])

    def y(value: float) -> float:
        return MARGIN_TOP + height * (1 - (math.log10(value) - y_range[0]) / (y_range[1] - y_range[0]))

    parts = [
        f'<text x="{left + PANEL_WIDTH / 2}" y="18" text-anchor="middle" font-size="13">'
        f"{escape(title)}</text>"
    ]
    parts += _axes(left, x_range, y_range, x, y)
    parts.append(_polyline([(x(s), y(v)) for s, v in zip(sizes, linear, strict=True)], "#888", dashed=True))
    parts.append(_polyline([(x(s), y(v)) for s, v in zip(sizes, values, strict=True)], "#1f5fa8"))
    for size, value in zip(sizes, values, strict=True):
        parts.append(f'<circle cx="{x(size):.1f}" cy="{y(value):.1f}" r="3.5" fill="#1f5fa8"/>')
        parts.append(f'<text x="{x(size) + 6:.1f}" y="{y(value) - 6:.1f}">{value:,.0f}</text>')
    for size, goal in marks:
        parts.append(
            f'<line x1="{x(size) - 12:.1f}" y1="{y(goal):.1f}" x2="{x(size) + 12:.1f}" y2="{y(goal):.1f}" '
            'stroke="#c0392b" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{x(size) - 14:.1f}" y="{y(goal) - 5:.1f}" fill="#c0392b" '
            'text-anchor="end">target</text>'
        )
    legend = MARGIN_TOP + height + 38
    parts.append(
        f'<text x="{left + MARGIN_LEFT}" y="{legend}" fill="#555">'
        "documents (log); dashed: linear growth</text>"
    )
    return parts


def _axes(left: int, x_range: tuple[int, int], y_range: tuple[int, int], x, y) -> list[str]:
    bottom, top = PANEL_HEIGHT - MARGIN_BOTTOM, MARGIN_TOP
    x0, x1 = left + MARGIN_LEFT, left + PANEL_WIDTH - MARGIN_RIGHT
    parts = [
        f'<rect x="{x0}" y="{top}" width="{x1 - x0}" height="{bottom - top}" fill="none" stroke="#333"/>'
    ]
    for power in range(x_range[0], x_range[1] + 1):
        position = x(10.0**power)
        parts.append(
            f'<line x1="{position:.1f}" y1="{top}" x2="{position:.1f}" y2="{bottom}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{position:.1f}" y="{bottom + 15}" text-anchor="middle">{10**power:,}</text>')
    for power in range(y_range[0], y_range[1] + 1):
        position = y(10.0**power)
        parts.append(f'<line x1="{x0}" y1="{position:.1f}" x2="{x1}" y2="{position:.1f}" stroke="#ddd"/>')
        label = f"{10.0**power:,.0f}" if power >= 0 else f"{10.0**power:g}"
        parts.append(f'<text x="{x0 - 5}" y="{position + 4:.1f}" text-anchor="end">{label}</text>')
    return parts


def _polyline(points: list[tuple[float, float]], colour: str, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    coordinates = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
