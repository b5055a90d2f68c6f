"""Model families: training's side of the classifier protocol (serving's is serving/app/families).

- ``protocol``: what a family provides to the exporter, and ``UnservableModelError``;
- ``registry``: the families training can export, and which one a fitted model belongs to;
- ``linear_tfidf``: the first family, a FeatureUnion of TfidfVectorizers into a linear classifier
  (``linear_estimators``: the scikit-learn classifiers it serves, each with its probability link).

docs/use-another-model.md says what a new family touches: one module here and one line in ``registry``.
"""
