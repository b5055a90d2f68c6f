"""Serving: the Lambda function's package (app/, the image's `app`) and its tests (tests/)."""
