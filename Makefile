# The one entry point, used the same way on a laptop and in CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV := .tools/bin/uv
# Use the interpreters already on the machine; never download one.
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --locked
PORT ?= 3000

.PHONY: help setup demo train check-model check-params serve test test-service test-training requirements lint format

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@echo "Installing uv $(UV_VERSION) into .tools/"
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked
	@touch $@

setup: .venv/.synced ## Create the locked Python environment (.venv)

demo: setup ## Train if there is no model, serve it locally, send real requests, print the answers
	$(RUN) python -m serving.demo --port $(PORT)

train: setup ## Retrain through the DVC pipeline (make train DATA=20newsgroups|bbc-news|path/to/data)
ifdef DATA
	$(RUN) python -m training.params set data.source=$(DATA)
endif
	$(RUN) dvc repro

check-model: setup ## Quality gate: accuracy floor, and no worse than BASE beyond the tolerance (BASE=main)
	$(RUN) python -m training.quality_gate $(if $(BASE),--base $(BASE))

check-params: setup ## Validate params.yaml
	$(RUN) python -m training.params check

serve: setup ## Serve the model on http://127.0.0.1:$(PORT) through the local Lambda runtime
	$(RUN) python -m serving.local --port $(PORT)

test: setup ## Run every test (training, serving, infrastructure)
	$(RUN) pytest

test-service: setup ## Run the serving tests (handler, contract, local runtime, end to end)
	$(RUN) pytest serving/tests

test-training: setup ## Run the training tests
	$(RUN) pytest training/tests

requirements: setup ## Regenerate serving/app/requirements.txt (the image's pins) from uv.lock
	$(UV) export --locked --only-group serve --format requirements-txt --no-emit-project \
		--output-file serving/app/requirements.txt --quiet

lint: setup ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: setup ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .
