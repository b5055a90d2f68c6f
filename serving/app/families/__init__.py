"""Model families: serving's side of the classifier protocol.

- ``protocol``: what a family provides and what its models answer (``Classifier``, ``Prediction``,
  ``Explanation``);
- ``registry``: the families serving loads, by the ``kind`` model.json records;
- ``linear_tfidf``: the first family, TF-IDF feature blocks and a linear model with a probability link.

docs/use-another-model.md says what a new family touches: one module here and one line in ``registry``.
"""
