"""The facts serving shares with the other components, each defined once, in modules that import nothing.

- ``artifact``: the model artifact's envelope (format version, file names, text encoding, version).
- ``linear_tfidf``: what the linear TF-IDF family stores in it (arrays, analyzer settings, n-gram numbers).
- ``api``: the routes the handler answers, which the CDK app gives API Gateway.
- ``metrics``: the names of the handler's CloudWatch metrics, which the dashboard and alarms read.

Training's exporter, serving's loader, the CDK app and the tests all read these modules. They import
nothing, so reading them costs nothing and pulls in no serving code: training and the CDK app may import
``serving.app.contracts`` and nothing else from serving (serving/tests/unit/test_packaging.py checks it).
"""
