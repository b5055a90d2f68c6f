"""The names of the handler's CloudWatch metrics: the one definition serving and the CDK app share.

``telemetry`` emits its metrics under exactly these names; the CDK app (infrastructure/stacks/settings.py)
imports this module for the function's environment, the dashboard and any alarm on these metrics, so
renaming a metric here renames it on both sides. Imports nothing.
"""

# The environment variables that choose the namespace and the value of the one dimension (the names
# aws-embedded-metrics reads too); the CDK app sets them per stage.
NAMESPACE_ENV = "AWS_EMF_NAMESPACE"
SERVICE_NAME_ENV = "AWS_EMF_SERVICE_NAME"
DEFAULT_NAMESPACE = "TextClassifier"
DEFAULT_SERVICE_NAME = "text-classifier"
# Every metric carries this one dimension, valued with the service name.
SERVICE_DIMENSION = "Service"

MODEL_LOAD_TIME = "ModelLoadTime"
LATENCY = "Latency"
CLIENT_ERROR = "ClientError"
SERVER_ERROR = "ServerError"
BATCH_SIZE = "BatchSize"
INPUT_CHARACTERS = "InputCharacters"
# Model quality, one value per classified text (families.protocol.Quality, and the text's length).
LABEL_PROBABILITY = "LabelProbability"
LABEL_MARGIN = "LabelMargin"
VOCABULARY_COVERAGE = "VocabularyCoverage"
TEXT_CHARACTERS = "TextCharacters"
# Texts per predicted label: the one metric with a second dimension, the label (one series per class).
PREDICTED_LABEL = "PredictedLabel"
LABEL_DIMENSION = "Label"

# Every metric the handler emits, with its CloudWatch unit.
UNITS = {
    MODEL_LOAD_TIME: "Milliseconds",
    LATENCY: "Milliseconds",
    CLIENT_ERROR: "Count",
    SERVER_ERROR: "Count",
    BATCH_SIZE: "Count",
    INPUT_CHARACTERS: "Count",
    LABEL_PROBABILITY: "None",
    LABEL_MARGIN: "None",
    VOCABULARY_COVERAGE: "None",
    TEXT_CHARACTERS: "Count",
    PREDICTED_LABEL: "Count",
}

# The model-quality metrics, per text, and the Quality field (or "characters") each carries: what the
# baseline in model.json summarizes under the same names (training.baseline), so an alarm compares like
# with like.
QUALITY_FIELDS = {
    LABEL_PROBABILITY: "probability",
    LABEL_MARGIN: "margin",
    VOCABULARY_COVERAGE: "coverage",
    TEXT_CHARACTERS: "characters",
}
# Decimals the per-text shares (probability, margin, coverage) are written with.
QUALITY_DECIMALS = 4
# EMF takes at most this many values of one metric in one record (aws-embedded-metrics'
# MAX_DATAPOINTS_PER_METRIC); a larger batch's values go into further records.
MAX_VALUES_PER_RECORD = 100
