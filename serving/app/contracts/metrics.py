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

# Every metric the handler emits, with its CloudWatch unit.
UNITS = {
    MODEL_LOAD_TIME: "Milliseconds",
    LATENCY: "Milliseconds",
    CLIENT_ERROR: "Count",
    SERVER_ERROR: "Count",
    BATCH_SIZE: "Count",
    INPUT_CHARACTERS: "Count",
}
