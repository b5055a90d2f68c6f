"""Load testing the classifier API: the locust traffic, a runner for the local service, a summary."""
