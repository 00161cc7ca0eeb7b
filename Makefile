# policywatch: every command a user or CI needs. `make help` lists them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install run test demo bench lint lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Python >= 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv with the locked dependency set

run: $(STAMP)  ## one pass over the live sources (SQLite + Prefect's local API, data in ./data)
	$(BIN)/policywatch run $(ARGS)

test: $(STAMP)  ## the test suite (starts the local PostgreSQL, installs the Debian packages it needs)
	.ci/ensure-postgres
	.ci/ensure-system-packages
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

demo: $(STAMP)  ## offline demo: local test site, two runs with an amendment between, the alert it sent
	$(BIN)/python -m tests.demo

bench: $(STAMP)  ## benchmarks: pipeline throughput and memory, diff speed, detection and metadata accuracy, explorer latency
	$(BIN)/python -m bench.bench_pipeline
	$(BIN)/python -m bench.bench_diff
	$(BIN)/python -m bench.bench_detect_eval
	$(BIN)/python -m bench.bench_metadata
	$(BIN)/python -m bench.bench_crawl_requests
	$(BIN)/python -m bench.bench_explorer

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check .

lock: $(STAMP)  ## refresh constraints.txt from the current .venv
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean:  ## remove .venv and test artifacts (keeps ./data)
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
