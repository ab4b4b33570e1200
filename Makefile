# Knooppunt: `make run` serves the product, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000

.PHONY: run test test-long test-faults audit bench bench-quick lint typecheck pytest services messages install install-dev clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Knooppunt needs Python 3.11 or newer; set PYTHON=...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed messages
install-dev: $(VENV)/.installed-dev messages

# Compiled catalogues (.mo) are built here, by Babel: no system gettext needed.
messages: $(VENV)/.installed
	@$(BIN)/pybabel --quiet compile --domain django --directory locale

# Embedded mode by default (one uvicorn process, SQLite, tasks in-process); with REDIS_URL and
# DATABASE_URL set, the full topology (gunicorn, uvicorn, Celery worker and beat) under honcho.
run: install
	@PORT=$(PORT) scripts/run.sh

services:
	@scripts/services.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=True $(PY) manage.py makemigrations --check --dry-run

typecheck: install-dev
	DEBUG=True $(BIN)/mypy community signals api

# Three workers on two cores: many tests wait on servers, workers and a browser they start. Work stealing:
# the few long tests (a browser scanning every page of a role) do not leave one worker finishing alone.
pytest: install-dev services
	@scripts/system-packages.sh
	$(BIN)/pytest -n 3 --dist worksteal -p no:cacheprovider -m "not faults" --durations=15

test: lint typecheck pytest

# The fault tests: each kills or restarts a server or service (private ones, on ports of its own).
test-faults: install-dev services
	$(BIN)/pytest -n 2 -p no:cacheprovider -m faults tests

# Known vulnerabilities in the installed dependencies: a report for CI's log, never a failure (an advisory
# published today must not stop a build; the issue's note lists what it found).
audit: install-dev
	-timeout 300 $(BIN)/pip-audit --progress-spinner off --skip-editable

# The bad-input fuzz tests and schemathesis with many more examples each (Hypothesis's "long" profile).
test-long: install-dev services
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -p no:cacheprovider tests/security tests/api/test_schemathesis.py

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache

# Benchmarks (bench/, written to bench/results/ and docs/benchmarks.md); not part of make test.
# The full run seeds 100,000 signals and takes about 40 minutes; bench-quick is the same, small.
bench: install-dev services
	@scripts/system-packages.sh wrk
	$(PY) -m bench

bench-quick: install-dev services
	@scripts/system-packages.sh wrk
	$(PY) -m bench --quick
