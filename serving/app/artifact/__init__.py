"""Reading the model artifact (serving/MODEL_ARTIFACT.md): the only code that reads the model folder.

- ``loader``: ``load_model``: the manifest, then the arrays, then the model kind's family builds the model;
- ``manifest``: model.json's checks (format, kind, classes, the arrays file it names) and ``ModelLoadError``;
- ``arrays``: model.npz read once, its size and hash checked, its arrays checked against a kind's table;
- ``npz_archive``: the zip reader (no ``zipfile`` import at cold start);
- ``float_bits``: the finiteness test on raw float bits (a fifteenth of ``np.isfinite``'s time on float16).
"""
