"""The Lambda function: the product, exactly what the image carries (as the package ``app``).

Everything inside imports relatively, so the package works under either name: ``serving.app`` in the
repository (tests, tools) and ``app`` in the image, whose CMD is ``app.handler.lambda_handler``.
Kept empty: importing ``serving.app.contracts`` (training, the CDK app) must not load the handler.
"""
