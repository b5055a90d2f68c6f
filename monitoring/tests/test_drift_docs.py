"""docs/monitoring.md's "Drift" section states the settings the code uses."""

from __future__ import annotations

import re

from local_runtime.paths import REPO_ROOT
from monitoring.drift_settings import EXIT_CALM, EXIT_DRIFT, EXIT_ERROR, THRESHOLDS
from monitoring.window import DEFAULT_SINCE
from serving.app.contracts import metrics

DOCS = (REPO_ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
DRIFT_DOCS = DOCS.split("\n## Drift\n", 1)[1].split("\n## ", 1)[0]  # the section alone


def test_the_documented_thresholds_are_the_settings():
    rows = {
        row.split("|")[1].strip(): row.split("|")[-2].strip()
        for row in re.findall(r"^\|.*\|$", DRIFT_DOCS, re.M)
    }
    quality = [name for name in metrics.QUALITY_FIELDS if any(f"`{name}`" in check for check in rows)]
    assert quality == list(metrics.QUALITY_FIELDS)  # every quality metric has its row
    for check, threshold in rows.items():
        if check.startswith("`Label") and "LabelMix" in check:
            assert float(threshold) == THRESHOLDS.label_distance
        elif check.startswith("`"):
            assert float(threshold) == THRESHOLDS.quantile_distance, check
    assert f"**At least {THRESHOLDS.min_texts} texts.**" in DRIFT_DOCS
    assert f"(`SINCE=Nd`, default {DEFAULT_SINCE.removesuffix('d')};" in DRIFT_DOCS


def test_the_documented_exit_codes_are_the_codes():
    expected = f"exits {EXIT_CALM} when every check passes or there are too few texts, {EXIT_DRIFT} when a"
    assert expected in " ".join(DRIFT_DOCS.split())
    assert f"check crosses, {EXIT_ERROR} on bad input" in " ".join(DRIFT_DOCS.split())
