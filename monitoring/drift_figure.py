"""The drift report's figure: baseline against captured quantiles per quality metric, and label shares.

Plain SVG text (no plotting library; it diffs as text). One row of panels, one per quality metric:
the baseline's percentiles (grey, dashed) and the captured texts' at the same percentiles (blue), on a
linear axis; then the label shares as paired bars.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from monitoring.drift_check import Drift

PANEL, HEIGHT, LEFT, TOP, BOTTOM = 230, 260, 48, 40, 40
BASELINE_COLOUR, CAPTURED_COLOUR, CROSSED_COLOUR = "#888", "#1f5fa8", "#c0392b"
BAR_HEIGHT = 7


def svg(drift: Drift) -> str:
    """The figure of ``drift`` as an SVG document."""
    labels = drift.labels.captured if drift.labels else {}
    label_height = TOP + BOTTOM + 2 * BAR_HEIGHT * len(labels) + 4 * len(labels)
    height = max(HEIGHT, label_height)
    width = PANEL * (len(drift.metrics) + 1) + 120
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for index, metric in enumerate(drift.metrics):
        parts += _metric_panel(index * PANEL, metric)
    parts += _label_panel(len(drift.metrics) * PANEL, drift)
    parts.append(
        f'<text x="8" y="{height - 10}" fill="#555">grey dashed: baseline (held-out split); '
        f"blue: captured; red title: check crossed</text>"
    )
    return "\n".join([*parts, "</svg>"]) + "\n"


def _metric_panel(left: int, metric) -> list[str]:
    names = list(metric.baseline)
    values = [v for v in [*metric.baseline.values(), *metric.captured.values()] if v == v]
    low, high = min(values), max(values)
    high = high if high > low else low + 1
    plot_width, plot_height = PANEL - LEFT - 16, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return left + LEFT + plot_width * i / max(len(names) - 1, 1)

    def y(value: float) -> float:
        return TOP + plot_height * (1 - (value - low) / (high - low))

    colour = CROSSED_COLOUR if metric.crossed else "black"
    parts = [
        f'<text x="{left + PANEL / 2}" y="18" text-anchor="middle" font-size="12" fill="{colour}">'
        f"{escape(metric.name)} (distance {metric.distance:.2f})</text>",
        f'<text x="{left + LEFT - 4}" y="{y(high) + 4:.1f}" text-anchor="end">{high:g}</text>',
        f'<text x="{left + LEFT - 4}" y="{y(low) + 4:.1f}" text-anchor="end">{low:g}</text>',
    ]
    parts += [
        f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{name}</text>'
        for i, name in enumerate(names)
    ]
    for quantiles, stroke, dash in (
        (metric.baseline, BASELINE_COLOUR, True),
        (metric.captured, CAPTURED_COLOUR, False),
    ):
        points = [
            (x(i), y(quantiles[name])) for i, name in enumerate(names) if quantiles[name] == quantiles[name]
        ]
        parts.append(_polyline(points, stroke, dash))
    return parts


def _label_panel(left: int, drift: Drift) -> list[str]:
    if drift.labels is None:
        return []
    shares = drift.labels
    largest = max([*shares.baseline.values(), *shares.captured.values(), 0.01])
    colour = CROSSED_COLOUR if shares.crossed else "black"
    parts = [
        f'<text x="{left + 8}" y="18" font-size="12" fill="{colour}">'
        f"label shares (Jensen-Shannon {shares.distance:.2f})</text>"
    ]
    bar_width = PANEL - 16
    for row, (label, captured) in enumerate(shares.captured.items()):
        top = TOP + row * (2 * BAR_HEIGHT + 4)
        for offset, share, fill in (
            (0, shares.baseline.get(label, 0.0), BASELINE_COLOUR),
            (BAR_HEIGHT, captured, CAPTURED_COLOUR),
        ):
            parts.append(
                f'<rect x="{left + 8}" y="{top + offset}" width="{bar_width * share / largest:.1f}" '
                f'height="{BAR_HEIGHT - 1}" fill="{fill}"/>'
            )
        parts.append(f'<text x="{left + bar_width + 12}" y="{top + BAR_HEIGHT + 3}">{escape(label)}</text>')
    return parts


def _polyline(points: list[tuple[float, float]], stroke: str, dashed: bool) -> str:
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    return f'<polyline points="{path}" fill="none" stroke="{stroke}" stroke-width="2"{dash}/>'


def write_figure(path: Path, drift: Drift) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg(drift), encoding="utf-8")
    return path
