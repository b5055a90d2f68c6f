"""Load testing the classifier API: the locust traffic and its runner (`python -m loadtest`)."""
