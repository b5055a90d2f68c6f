"""Training: load a labelled text corpus, fit TF-IDF + logistic regression, evaluate, export for serving.

Run the steps from the repository root as `python -m training.<module>`; `dvc repro` (make train) runs
them in order as declared in dvc.yaml.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
