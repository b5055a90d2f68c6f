"""The DVC stages' scripts, one per stage of dvc.yaml, in the order they run:

- `train`: load the data, check it, fit; writes the fitted pipeline (training/model/pipeline.joblib).
- `evaluate`: the fitted pipeline on the test split; writes metrics.json and the confusion matrix's rows.
- `export`: the fitted pipeline as serving's artifact (serving/app/data/model.npz + model.json).

Each script is short: it reads its inputs, calls the library modules of training/ (fit, evaluate, export)
and writes its outputs. dvc.yaml lists each stage's inputs (the files it reads, its script and every
module it imports, training/tests/test_dvc_stages.py checks that) and its params, so editing the
evaluation reruns `evaluate` only and editing the export format reruns `export` only; neither refits.
`python -m training` runs the three in one process, without DVC.
"""
