"""TF-IDF featurization identical to scikit-learn's ``FeatureUnion`` of ``TfidfVectorizer`` blocks.

Serving cannot import scikit-learn (it costs most of a second at cold start and hundreds of MB in the
image), so this package re-implements the few steps ``transform`` performs for the settings listed in
serving/MODEL_ARTIFACT.md, one job per module:

- ``text_analysis``: preprocessing (case, accents) and cutting a text into words or character n-grams;
- ``sparse_rows``: a batch of documents as the rows of one sparse matrix (``SparseRows``);
- ``term_index``: character n-grams -> columns (a dict);
- ``word_ngrams``: word n-grams -> columns by number (ids, numbering and a hash table: the batch target);
- ``weighting``: counts -> tf -> tf-idf -> normalised, for a whole batch at once;
- ``featurizer``: one block (analyse, count, weigh) and the blocks side by side (``FeatureUnion``);
- ``vocabulary``: the indexes built from the artifact's arrays, checking what they rely on.

A document is a sparse vector (feature indices and their weights) because a request touches a few
hundred of the model's features, never all of them; a batch is the rows of one sparse matrix, weighed and
normalised in a handful of numpy calls for the whole batch rather than a dozen per text.
"""
