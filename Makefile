# The one entry point, used the same way on a laptop and in CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV := .tools/bin/uv
# Use the interpreters already on the machine; never download one.
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --locked
PORT ?= 3000
STAGE ?= dev
# The repository whose GitHub workflows may assume the CI roles: GitHub Actions sets it; locally it is
# read from the origin remote when that is on GitHub.
GITHUB_REPOSITORY ?= $(shell git remote get-url origin 2>/dev/null | sed -nE 's#.*github\.com[:/]([^/]+/[^/]+)$$#\1#p' | sed 's/\.git$$//')
CDK := cd infrastructure && ../$(UV) run --locked npx --no-install cdk
# The repository's immutable IDs, which the CI roles trust: GitHub Actions sets both variables; locally
# `make bootstrap` finds them (or cdk.json's context holds them, as github_owner_id/github_repository_id).
CDK_CONTEXT := $(if $(GITHUB_REPOSITORY),-c github_repository=$(GITHUB_REPOSITORY)) \
	$(if $(GITHUB_REPOSITORY_OWNER_ID),-c github_owner_id=$(GITHUB_REPOSITORY_OWNER_ID)) \
	$(if $(GITHUB_REPOSITORY_ID),-c github_repository_id=$(GITHUB_REPOSITORY_ID))
# The setup steps of `make bootstrap` that are not `cdk` (infrastructure/account_setup), on the pinned Node.
ACCOUNT_SETUP := cd infrastructure && JSII_NODE=node_modules/.bin/node ../$(UV) run --locked python -m account_setup

.PHONY: help setup infra-setup demo train check-model check-params serve test test-unit test-contract test-runtime test-e2e test-workflows test-service test-artifact test-local test-training \
	test-infra requirements lint format synth deploy destroy bootstrap

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@echo "Installing uv $(UV_VERSION) into .tools/"
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --compile-bytecode
	@touch $@

setup: .venv/.synced ## Create the locked Python environment (.venv)

infrastructure/node_modules/.installed: infrastructure/package.json infrastructure/package-lock.json
	cd infrastructure && npm ci --no-audit --no-fund
	@touch $@

infra-setup: setup infrastructure/node_modules/.installed ## Install the pinned CDK CLI and its Node.js

demo: setup ## Train if there is no model, serve it locally, send real requests, print the answers
	$(RUN) python -m demo --port $(PORT)

train: setup ## Retrain through the DVC pipeline (make train DATA=20newsgroups|bbc-news|chinese-reviews|path/to/data)
ifdef DATA
	$(RUN) python -m training.params set data.source=$(DATA)
endif
	$(RUN) dvc repro

check-model: setup ## Quality gate: accuracy floor, and no worse than BASE beyond the tolerance (BASE=main)
	$(RUN) python -m training.quality_gate $(if $(BASE),--base $(BASE))

.PHONY: tune bench bench-scale
tune: setup ## Cross-validate hyperparameter candidates on the training split only (slow) [ONLY=key, e.g. ONLY=train.estimator compares the classifiers] [APPLY=1]
	$(RUN) python -m training.tune $(if $(ONLY),--only $(ONLY)) $(if $(APPLY),--apply)

bench: setup ## This project beside the reference system: accuracy, size, cold start, latency (SCIKIT_LEARN_DATA)
	$(RUN) python -m bench.run

bench-scale: setup ## Training's cost at 10k, 100k and 1M generated documents: time, peak memory, accuracy [SIZES=10000,100000]
	$(RUN) python -m bench.scale $(if $(SIZES),--sizes $(SIZES))

.PHONY: metrics-report commit-model fetch-newsgroups pull-inputs pull-artifact check-lock push-model push-branch \
	seed-remote smoke-test
metrics-report: setup ## Markdown diff against BASE (default HEAD): gate, metrics, params, classes [OUTPUT=file]
	@$(RUN) python -m training.metrics_report $(if $(BASE),--base $(BASE)) $(if $(OUTPUT),--output $(OUTPUT))

check-lock: setup ## Fail, saying why, when dvc.lock is stale or a DVC-tracked file present differs from the md5 it names
	$(RUN) python -m training.check_lock

.PHONY: check-reproduced
check-reproduced: setup ## After make train: byte-identical to dvc.lock's model, the same up to rounding (off x86-64 Linux), or not
	$(RUN) python -m training.compare_models

# What a retraining changes in git: the model's pointer and the metrics (the model itself goes to DVC).
MODEL_POINTERS := dvc.lock training/reports/metrics.json training/reports/data.json
commit-model: ## Commit a retrained model's dvc.lock and metrics, if they changed (the train workflow's commit)
	git add $(MODEL_POINTERS)
	@if git diff --cached --quiet -- $(MODEL_POINTERS); then echo "The model did not change: nothing to commit."; \
	else git commit --quiet -m "Retrained model: dvc.lock and metrics" -- $(MODEL_POINTERS) && git log -1 --oneline; fi

fetch-newsgroups: setup ## Put the pinned 20 Newsgroups file in training/data/: DVC remote [REMOTE=s3], else cache
	$(RUN) python -m training.newsgroups $(if $(REMOTE),--remote $(REMOTE))

# What CI jobs take from the DVC remote, each file verified against the md5 the commit recorded (a
# difference stops the job, naming the file and both md5s): the training inputs (test and train jobs,
# deploys), and the model artifact the image bakes in, never the pickled pipeline (deploys).
pull-inputs: setup ## Put every DVC-tracked training input in place [REMOTE=s3] (20 Newsgroups falls back to the cache), verified
	$(RUN) python -m training.remote pull-inputs $(if $(REMOTE),--remote $(REMOTE))

pull-artifact: setup ## Pull the model files the image bakes in [REMOTE=s3], verified; never the pickled pipeline
	$(RUN) python -m training.remote pull-artifact $(if $(REMOTE),--remote $(REMOTE))

push-model: setup ## dvc push [REMOTE=s3], then fail unless the remote holds every file the commit names
	$(RUN) python -m training.remote push $(if $(REMOTE),--remote $(REMOTE))

# The train workflow's last step. The token comes from the environment (PUSH_TOKEN), never the command line.
push-branch: setup ## CI: push the retrained model's commit to BRANCH with PUSH_TOKEN (fails, saying why, without one)
	$(RUN) python -m ops.push_branch --branch "$(BRANCH)" --checked-out "$(CHECKED_OUT)"

# A new team remote's first upload (the second half of `make bootstrap`): the data, the model this commit
# names (retrained: training is reproducible), both pushed and checked. What to commit is printed last.
seed-remote: setup ## Fill a new DVC remote [REMOTE=s3]: 20 Newsgroups and the committed model, then verify
	@$(RUN) python -m training.pinned_numerics  # only where training writes the bytes CI reproduces
	$(MAKE) --no-print-directory fetch-newsgroups REMOTE=$(REMOTE)
	$(MAKE) --no-print-directory train
	$(MAKE) --no-print-directory push-model REMOTE=$(REMOTE)
	@if git diff --quiet -- dvc.lock training/reports; then \
		echo "Trained exactly the model dvc.lock names; it and its data are on the remote."; \
	else echo "NOTE: training here gave another model than dvc.lock named (an input changed since it was" \
		"written: make check-lock says which): commit it with make commit-model."; fi
	@echo "Commit the remote's address for everyone (and CI): git commit .dvc/config"

check-params: setup ## Validate params.yaml
	$(RUN) python -m training.params check

# CAPTURE_RATE (0 to 1; unset: off) is given to the function, as a stage's capture_rate is in AWS; the
# local runtime files its capture lines by day under CAPTURE_DIR (docs/monitoring.md, "Capture").
serve: setup ## Serve the model on http://127.0.0.1:3000 (or PORT=...) locally; CAPTURE_RATE=0.1 keeps 10 % of texts in CAPTURE_DIR (./captures)
	$(RUN) python -m local_runtime --port $(PORT) $(if $(CAPTURE_RATE),--env CAPTURE_RATE=$(CAPTURE_RATE)) \
		$(if $(CAPTURE_DIR),--capture-dir "$(CAPTURE_DIR)")

# The tests are independent, so they run in parallel: one pytest-xdist worker per core (TEST_WORKERS=0
# runs them in one process, e.g. to debug with pdb). Each module runs whole on one worker, so a model or a
# clone a module's tests share is trained once, not once per worker; the longest modules start first
# (conftest.py says how).
TEST_WORKERS ?= auto
PYTEST = $(RUN) pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

test: setup infra-setup ## Run every test (training, serving, the tools, infrastructure, workflows)
	$(PYTEST)

# The layers, each runnable alone (together they are `make test`): unit -> contract -> runtime -> e2e,
# plus the infrastructure and the workflows. `e2e` marks tests that train a real model or run a clone.
test-unit: setup ## Layer 1, unit: training functions, serving's pure logic, the benchmark's corpora and tables, monitoring
	$(PYTEST) training/tests serving/tests/unit bench/tests monitoring/tests -m "not e2e"

test-contract: setup ## Layer 2, contract: the handler on API Gateway events, the OpenAPI document, fuzzing
	$(PYTEST) serving/tests/contract serving/tests/fuzz

test-runtime: setup ## Layer 3, local runtime: the handler through the real Lambda runtime client, faults, load
	$(PYTEST) local_runtime/tests serving/tests/faults loadtest/tests

test-e2e: setup infra-setup ## Layer 4, end to end: train, serve, DVC round trips, reproducibility, a first deploy
	$(PYTEST) -m e2e

test-workflows: setup ## The GitHub workflows: every step a Make target, deploy after tests, the smoke test
	$(PYTEST) .github/tests -m "not e2e"

test-service: setup ## Run the serving tests (unit, contract, faults, fuzz, end to end)
	$(PYTEST) serving/tests

# A deploy job holds deploy credentials: it never unpickles what it pulled (the tests marked `unpickles`
# load training/model/pipeline.joblib, or 20 Newsgroups' pickled cache), so they are not run, not skipped.
# In one process: its summary then counts the deselected tests (pytest-xdist's does not), so the deploy's
# log shows that the unpickling tests were left out, not skipped.
test-artifact: setup ## The serving tests a deploy runs: the model artifact alone, nothing unpickled
	$(RUN) pytest serving/tests -m "not unpickles"

test-local: setup ## Run the tools' tests: the local runtime, the load test, the benchmark, drift
	$(PYTEST) local_runtime/tests loadtest/tests bench/tests monitoring/tests

test-training: setup ## Run the training tests
	$(PYTEST) training/tests

test-infra: infra-setup ## Layer: the CDK app's invariants, cdk-nag and cfn-lint, offline
	$(PYTEST) infrastructure/tests

requirements: setup ## Regenerate serving/app/requirements.txt (the image's pins) from uv.lock
	$(UV) export --locked --only-group serve --format requirements-txt --no-emit-project \
		--output-file serving/app/requirements.txt --quiet

lint: setup ## ruff lint and format check; actionlint and zizmor on the GitHub workflows
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) actionlint
	$(RUN) zizmor --offline --quiet .github

format: setup ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

synth: infra-setup ## CloudFormation templates of every stack into infrastructure/cdk.out (offline)
	$(CDK) synth --quiet $(CDK_CONTEXT)

deploy: infra-setup ## Deploy one stage: make deploy STAGE=dev [ALARM_EMAIL=you@example.com] [CAPTURE_RATE=0.01]
	$(CDK) deploy TextClassifier-$(STAGE) -c stage=$(STAGE) $(CDK_CONTEXT) \
		$(if $(ALARM_EMAIL),-c alarm_email=$(ALARM_EMAIL)) $(if $(CAPTURE_RATE),-c capture_rate=$(CAPTURE_RATE)) \
		--require-approval never --outputs-file cdk.out/$(STAGE)-outputs.json

smoke-test: setup ## POST a known text to a deployed STAGE, or to URL=... [API_KEY=...]: expects 200 and a label
	$(RUN) python -m ops.smoke_test --stage $(STAGE) $(if $(URL),--url $(URL)) \
		$(if $(SUMMARY),--summary $(SUMMARY))

destroy: infra-setup ## Delete a non-production stage: make destroy STAGE=dev
	@if [ "$(STAGE)" = prod ]; then echo "Refusing to destroy prod." >&2; exit 1; fi
	$(CDK) destroy TextClassifier-$(STAGE) -c stage=$(STAGE) $(CDK_CONTEXT) --force

# Once per account and region, with administrator credentials. Stops, saying what to set, where it cannot
# decide: the repository's GitHub IDs and subject format (found with `gh` when it is logged in), an API
# Gateway logging role someone else set (API_GATEWAY_LOGGING_ROLE=true|false); uses the account's GitHub
# OIDC provider if it has one (GITHUB_OIDC_PROVIDER_ARN names one). See docs/deploying.md.
DATA_STACK_CONTEXT := $(CURDIR)/infrastructure/cdk.out/data-stack-context.args
bootstrap: infra-setup ## Once per account: execution policy, cdk bootstrap, data/CI stack, DVC bucket filled, GitHub variables
	@if [ -z "$(GITHUB_REPOSITORY)" ]; then \
		echo "Set GITHUB_REPOSITORY=owner/repo (the repository whose workflows may assume the CI roles)." >&2; exit 1; fi
	@command -v aws >/dev/null || { echo "make bootstrap needs the AWS CLI (aws), with credentials for the account." >&2; exit 1; }
	@mkdir -p infrastructure/cdk.out
	@$(ACCOUNT_SETUP) data-stack-context --repository "$(GITHUB_REPOSITORY)" > $(DATA_STACK_CONTEXT)
	@echo "Data stack settings: $$(cat $(DATA_STACK_CONTEXT))"
	@# CloudFormation deploys the app with this scoped policy instead of AdministratorAccess (aws-cdk#27097).
	policy=$$($(ACCOUNT_SETUP) deploy-execution-policy) && \
		$(CDK) bootstrap $(CDK_CONTEXT) --cloudformation-execution-policies "$$policy"
	$(CDK) deploy TextClassifier-Data $$(cat $(DATA_STACK_CONTEXT)) --outputs-file cdk.out/data-outputs.json
	$(RUN) dvc remote modify s3 url "$$($(RUN) python -c 'import json; print(json.load(open("infrastructure/cdk.out/data-outputs.json"))["TextClassifier-Data"]["DvcRemoteUrl"])')"
	@$(ACCOUNT_SETUP) github-variables cdk.out/data-outputs.json
	$(MAKE) --no-print-directory seed-remote REMOTE=s3

# --- Security: every scanner offline, on a clean clone too ---------------------------------------------
.PHONY: security
# The data stack creates its CI roles only for a named repository; name one so that they are scanned too.
SECURITY_REPOSITORY := $(or $(GITHUB_REPOSITORY),example-org/text-classifier)
SECURITY_IDS := -c github_owner_id=$(or $(GITHUB_REPOSITORY_OWNER_ID),1234567) \
	-c github_repository_id=$(or $(GITHUB_REPOSITORY_ID),7654321)
SECURITY_OUT := cdk.out/security
# checkov pins an older `packaging` than the test tools need: it has an environment of its own.
SECURITY_ENV := .venv-security

$(SECURITY_ENV)/.synced: $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(SECURITY_ENV) $(UV) sync --locked --only-group security
	@touch $@

security: infra-setup $(SECURITY_ENV)/.synced ## cdk-nag and checkov on every stack, detect-secrets on every file, zizmor
	@echo "== cdk-nag (AwsSolutions): synthesizing every stack, with CI roles for $(SECURITY_REPOSITORY)"
	rm -rf infrastructure/$(SECURITY_OUT)
	$(CDK) synth --quiet --output $(SECURITY_OUT) -c github_repository=$(SECURITY_REPOSITORY) $(SECURITY_IDS)
	@echo "== cdk-nag: dev once more with capture on (off in every stage by default), so its resources are scanned too"
	$(CDK) synth --quiet --output $(SECURITY_OUT)/capture -c stage=dev -c capture_rate=0.01 TextClassifier-dev
	$(ACCOUNT_SETUP) execution-policy-template $(SECURITY_OUT)/execution-policy.template.json
	@echo "== checkov: the synthesized CloudFormation templates and the execution policy (skips are acknowledged findings with a reason)"
	$(SECURITY_ENV)/bin/checkov -d infrastructure/$(SECURITY_OUT) --framework cloudformation --skip-download \
		--compact --quiet
	@echo "== detect-secrets: every file git tracks or would add, against .secrets.baseline"
	@# Exit 3 only means the baseline's line numbers moved (no new secret); the copy keeps it untouched.
	@# DVC's pointers and the data fingerprint are content hashes by design (hex strings that change with
	@# every model or data set), so they are not scanned.
	@files=$$(git ls-files --cached --others --exclude-standard); copy=$$(mktemp); cp .secrets.baseline $$copy; \
	$(RUN) detect-secrets-hook --baseline $$copy --exclude-files '^(\.secrets\.baseline|dvc\.lock|.*\.dvc|training/reports/data\.json)$$' $$files > $$copy.out; \
	status=$$?; [ $$status -eq 3 ] || cat $$copy.out; rm -f $$copy $$copy.out; \
	if [ $$status -ne 0 ] && [ $$status -ne 3 ]; then echo "Remove the secret; if it is a false positive," \
		"add it to the baseline: detect-secrets scan --baseline .secrets.baseline" >&2; exit 1; fi; \
	echo "no new secret in $$(echo $$files | wc -w) files"
	@echo "== zizmor: the GitHub workflows"
	$(RUN) zizmor --offline --quiet .github
	@echo "Security checks passed: cdk-nag, checkov, detect-secrets, zizmor."

# --- The API as a contract, and the commands for a bad day (ops/, docs/operations.md) ---------------------
.PHONY: check-api logs rollback test-remote
check-api: setup ## Fail on a breaking OpenAPI change against BASE (default origin/main) unless the major version rises [SUMMARY=file]
	$(RUN) python -m ops.api_diff --base $(or $(BASE),origin/main) $(if $(SUMMARY),--summary $(SUMMARY))

logs: setup ## The STAGE function's logs as JSON lines [SINCE=15m|2h|ISO time] [REQUEST_ID=id] [FOLLOW=1]
	@$(RUN) python -m ops.logs --stage $(STAGE) $(if $(SINCE),--since $(SINCE)) \
		$(if $(REQUEST_ID),--request-id $(REQUEST_ID)) $(if $(FOLLOW),--follow)

rollback: setup ## Point STAGE's live alias at the previous version, or TO=version [DRY_RUN=1]; says from, to, models
	@$(RUN) python -m ops.rollback --stage $(STAGE) $(if $(TO),--to $(TO)) $(if $(DRY_RUN),--dry-run)

test-remote: setup ## The contract suite (routes, error codes, known texts) against STAGE, or URL=... [API_KEY=...] [SUMMARY=file]
	$(RUN) python -m ops.remote_contract --stage $(STAGE) $(if $(URL),--url $(URL)) $(if $(SUMMARY),--summary $(SUMMARY))

# --- The model in production, back into training (monitoring/, docs/monitoring.md) ----------------------
.PHONY: relabel
# Captures come from CAPTURES (a folder), else from a STAGE named on the command line or in the
# environment (STAGE's default above is for deploys, not a choice to read a bucket), else the local folder.
CAPTURE_SOURCE = $(if $(CAPTURES),--captures $(CAPTURES),$(if $(filter-out file default,$(origin STAGE)),--stage $(STAGE)))
relabel: setup ## Captured texts as a CSV to label, least certain first [CAPTURES=dir | STAGE=dev] [SINCE=7d | FROM=.. TO=..] [LIMIT=N] [OUTPUT=file]
	@$(RUN) python -m monitoring.relabel $(CAPTURE_SOURCE) \
		$(if $(SINCE),--since $(SINCE)) $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) $(if $(LIMIT),--limit $(LIMIT)) \
		$(if $(OUTPUT),--output $(OUTPUT))

# Drift: captured traffic against the model's baseline (docs/monitoring.md#drift), from CAPTURE_SOURCE.
.PHONY: drift drift-issue
drift: setup ## Captured texts vs the model's baseline: report + figure [CAPTURES=captures | STAGE=dev] [SINCE=7d | FROM=.. TO=..] [OUTPUT=file]
	$(RUN) python -m monitoring.drift $(CAPTURE_SOURCE) $(if $(SINCE),--since $(SINCE)) \
		$(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) $(if $(OUTPUT),--output $(OUTPUT)) \
		$(if $(MODEL_DIR),--model-dir $(MODEL_DIR))

# The scheduled drift workflow's last step; gh reads its token from the environment (GH_TOKEN).
drift-issue: setup ## CI: on drift, comment STAGE's report on its one open drift issue, or open it [OUTPUT=report]
	$(RUN) python -m monitoring.drift_issue --stage $(STAGE) $(if $(OUTPUT),--report $(OUTPUT))

# The loop, offline: train on articles, serve headlines with capture on, drift, relabel, retrain, compare.
.PHONY: rehearse-loop
rehearse-loop: setup ## The monitoring loop rehearsed offline on BBC News (docs/monitoring.md#the-loop-rehearsed) [OUTPUT=folder]
	$(RUN) python -m monitoring.loop_rehearsal $(if $(OUTPUT),--workdir $(OUTPUT))

# --- Load: bounded and headless; fails on any failed request ---------------------------------------------
.PHONY: load-test
load-test: setup ## Load the local service (or URL=... [API_KEY=...]) USERS=50 DURATION=60s [WORKERS=4 MODEL_DIR=...]
	$(RUN) python -m loadtest --users $(or $(USERS),50) --duration $(or $(DURATION),60s) \
		$(if $(URL),--url $(URL)) $(if $(WORKERS),--workers $(WORKERS)) \
		$(if $(MODEL_DIR),--model-dir $(MODEL_DIR)) $(if $(USER_RATE),--user-rate $(USER_RATE))

# --- Fuzzing: the handler with hypothesis, the local service with schemathesis ----------------------------
.PHONY: fuzz
FUZZ_EXAMPLES ?= 1200
FUZZ_MIN_CASES ?= 10000
API_FUZZ_EXAMPLES ?= 300
fuzz: setup ## Fuzz lambda_handler (>= 10,000 hypothesis cases) and the local service (schemathesis, openapi.json)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_MIN_CASES=$(FUZZ_MIN_CASES) $(RUN) pytest \
		serving/tests/fuzz/test_fuzz_handler.py
	$(RUN) python -m serving.tests.fuzz.api_fuzz --max-examples $(API_FUZZ_EXAMPLES)
