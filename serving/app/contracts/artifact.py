"""The model artifact's envelope, as serving/MODEL_ARTIFACT.md describes it: what every model kind shares.

Training's exporter writes these facts and serving's loader checks them; what a kind stores inside the
envelope is its own contract (``linear_tfidf`` for the one kind today). Imports nothing.
"""

# The format this code writes and reads; older formats fail at load with a message that says to retrain.
FORMAT_VERSION = 5

# model.json's model-quality baseline: the held-out split's quantiles of each per-text quality metric
# (contracts.metrics.QUALITY_FIELDS) and each class's share of the predictions, written by the export
# stage (training/baseline.py) and read by the CDK app for the model-quality alarms. An optional entry
# (older readers ignore it, so the format is unchanged): a model exported without held-out texts has
# none, and its stage gets no model-quality alarms.
BASELINE_KEY = "baseline"
# The quantiles it records, by the names CloudWatch gives those percentile statistics.
BASELINE_PERCENTILES = {"p5": 0.05, "p10": 0.1, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p90": 0.9}

# Where the model lives: this folder inside the serving package (serving/app/data in the repository,
# the image's app/data), holding the manifest (metadata) and the arrays it names.
MODEL_DIRECTORY = "data"
MANIFEST_FILE = "model.json"
ARRAYS_FILE = "model.npz"

# Text stored in arrays (terms, words) is UTF-8, a lone surrogate (JSON texts can carry one, "\ud800")
# in its three-byte form: `str.encode(*TEXT_ENCODING)` writes it, `bytes.decode(*TEXT_ENCODING)` reads it.
TEXT_ENCODING = ("utf-8", "surrogatepass")

# The arrays file is a NumPy .npz archive (a zip of .npy files, what `numpy.load` reads). Arrays a kind
# stores uncompressed have their data aligned on this many bytes, so that serving uses them in place.
ALIGNMENT = 64

# A model's version is the first hex digits of the SHA-256 of what it answers with: its arrays file's
# SHA-256, its classes and its settings (a new link parameter or confidence map is a new model), as one
# JSON object with these keys, written with these json.dumps options (serving.app.artifact.manifest's
# model_version computes it, for the exporter too).
VERSION_HEX_DIGITS = 12
VERSION_KEYS = ("artifact_sha256", "classes", "settings")
VERSION_JSON = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": True}
