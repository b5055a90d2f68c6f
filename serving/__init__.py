"""Serving: the Lambda function (app/), its local runtime (local/) and their tests."""
