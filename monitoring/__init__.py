"""Model quality in production, and the way back into training: `make drift` and `make relabel` read the
texts the service captured (opt-in, serving.app.contracts.capture) from a local folder or a stage's bucket."""
