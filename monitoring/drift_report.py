"""The drift check's Markdown report, and its JSON summary (the verdict a workflow reads)."""

from __future__ import annotations

import json
from pathlib import Path

from monitoring.drift_check import DRIFT, TOO_FEW, Drift
from serving.app.contracts.artifact import BASELINE_PERCENTILES

HEADLINES = {
    DRIFT: "Drift: {crossed} crossed {which} threshold",
    TOO_FEW: "Too few captured texts to judge ({texts}, at least {min_texts} needed): nothing is compared",
}
CALM_HEADLINE = "Calm: every check within its threshold ({texts} captured texts)"


def headline(drift: Drift) -> str:
    """The report's first line: the verdict in words."""
    if drift.verdict == DRIFT:
        which = "its" if len(drift.crossed) == 1 else "their"
        return HEADLINES[DRIFT].format(crossed=", ".join(drift.crossed), which=which)
    if drift.verdict == TOO_FEW:
        return HEADLINES[TOO_FEW].format(texts=drift.texts, min_texts=drift.thresholds.min_texts)
    return CALM_HEADLINE.format(texts=drift.texts)


def markdown(drift: Drift, source: str, window: str, figure: str | None) -> str:
    """The whole report: verdict, what was read, the metric and label tables, unknown terms, versions."""
    lines = [
        "# Drift report",
        "",
        f"**{headline(drift)}**",
        "",
        f"- Captures: {source}, {window}: {drift.texts} texts",
        f"- Baseline: model {drift.model_version} (its model.json's held-out split)",
        *_version_lines(drift),
        "",
    ]
    if figure:
        lines += [f"![baseline and captured quantiles, label shares]({figure})", ""]
    lines += _metric_table(drift) + _label_table(drift) + _unknown_lines(drift)
    return "\n".join(lines) + "\n"


def _version_lines(drift: Drift) -> list[str]:
    if not drift.other_versions:
        return []
    listed = ", ".join(f"{version} ({count})" for version, count in drift.other_versions.items())
    return [f"- Note: texts answered by another model than the baseline's, compared all the same: {listed}"]


def _metric_table(drift: Drift) -> list[str]:
    if not drift.metrics:
        return []
    limit = drift.thresholds.quantile_distance
    percentiles = list(BASELINE_PERCENTILES)
    lines = [
        f"## Quality metrics (quantile distance, threshold {limit})",
        "",
        "| metric | | " + " | ".join(percentiles) + " | distance | check |",
        "|---|---|" + "---:|" * len(percentiles) + "---:|---|",
    ]
    for metric in drift.metrics:
        check = "**crossed**" if metric.crossed else "passes"
        for row, values in (("baseline", metric.baseline), ("captured", metric.captured)):
            cells = " | ".join(_number(values[name]) for name in percentiles)
            tail = f"{metric.distance:.3f} | {check}" if row == "captured" else " | "
            lines.append(f"| {metric.name if row == 'baseline' else ''} | {row} | {cells} | {tail} |")
    return [*lines, ""]


def _label_table(drift: Drift) -> list[str]:
    labels = drift.labels
    if labels is None:
        return []
    check = "**crossed**" if labels.crossed else "passes"
    lines = [
        f"## Label mix (Jensen-Shannon distance {labels.distance:.3f}, threshold "
        f"{drift.thresholds.label_distance}: {check})",
        "",
        "| label | baseline share | captured share |",
        "|---|---:|---:|",
    ]
    for label, captured in labels.captured.items():
        lines.append(f"| {label} | {labels.baseline.get(label, 0.0):.3f} | {captured:.3f} |")
    return [*lines, ""]


def _unknown_lines(drift: Drift) -> list[str]:
    unknown = drift.unknown
    if unknown.analyzer is None:
        return ["## Unknown terms", "", "This model kind does not say which terms it knows.", ""]
    unit = "words" if unknown.analyzer == "word" else f"character n-grams ({unknown.analyzer} block)"
    share = unknown.unknown / unknown.units if unknown.units else 0.0
    lines = [
        "## Most frequent unknown terms",
        "",
        f"{unknown.unknown} of the texts' {unknown.units} {unit} ({share:.1%}) are not in the model's "
        "vocabulary.",
        "",
    ]
    if unknown.most_frequent:
        lines += ["| term | occurrences |", "|---|---:|"]
        lines += [f"| `{_cell(term)}` | {count} |" for term, count in unknown.most_frequent]
        lines.append("")
    return lines


def _number(value: float) -> str:
    return f"{value:g}" if value == value else "-"


def _cell(term: str) -> str:
    return term.replace("|", "\\|").replace("`", "'")


def summary(drift: Drift) -> dict:
    """The machine-readable verdict: what a scheduled workflow decides on."""
    return {
        "verdict": drift.verdict,
        "headline": headline(drift),
        "texts": drift.texts,
        "model_version": drift.model_version,
        "crossed": drift.crossed,
        "distances": {metric.name: metric.distance for metric in drift.metrics}
        | ({"LabelMix": drift.labels.distance} if drift.labels else {}),
    }


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_summary(path: Path, drift: Drift) -> Path:
    return write(path, json.dumps(summary(drift), indent=2) + "\n")
