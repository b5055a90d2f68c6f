"""The reference system's Lambda handler, rebuilt for measurement only (never deployed).

As the reference did: unpickle the joblib model at import and emit its load time as an EMF metric, then
per request parse the body, ``model.predict([text])[0]`` and echo the request. The one addition is a
``texts`` list (``model.predict(texts)``), so that batch throughput can be compared; the reference
itself answered one text per call.
"""

import json
import os
import time

_started = time.perf_counter()

import joblib  # noqa: E402  (timed: imports are part of the cold start)
from aws_embedded_metrics import metric_scope  # noqa: E402

MODEL = joblib.load(os.environ["REFERENCE_MODEL"])
_LOAD_MS = (time.perf_counter() - _started) * 1000.0


@metric_scope
def _record_load(metrics):
    metrics.put_metric("ModelLoadTime", _LOAD_MS, "Milliseconds")


_record_load()


def lambda_handler(event, context):
    body = json.loads(event["body"])
    if "texts" in body:
        predictions = [str(label) for label in MODEL.predict(body["texts"])]
        return {"statusCode": 200, "body": json.dumps({"predictions": predictions})}
    prediction = str(MODEL.predict([body["text"]])[0])
    return {"statusCode": 200, "body": json.dumps({"text": body["text"], "prediction": prediction})}
