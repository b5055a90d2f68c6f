"""Training: load a labelled text corpus, fit TF-IDF + logistic regression, evaluate, export for serving.

`dvc repro` (make train) runs the stages of dvc.yaml, one script each in training/stages/;
`python -m training` runs them in one process. The data sources are registered in training/sources/.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
