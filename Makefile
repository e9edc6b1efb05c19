# Konexi: `make run` serves the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# PostGIS for the PostgreSQL major the tests run (Debian bookworm's 15): the nearby search's KNN.
POSTGIS_PACKAGE := postgresql-15-postgis-3
APT_PACKAGES := redis-server postgresql $(POSTGIS_PACKAGE) chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast install install-dev vendor translations migrate demo-data system-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Python packages come from the lock files (`make lock` regenerates them from pyproject.toml);
# the project itself is installed without resolving anything more, and `pip check` fails when
# pyproject.toml asks for something the lock lacks.
# phonenumberslite (no geocoder/carrier data) replaced phonenumbers; both install the same
# package directory, so a venv made before the switch drops both and takes the lite one afresh.
SWAP_PHONENUMBERS := $(BIN)/pip show -q phonenumbers 2>/dev/null && $(BIN)/pip uninstall -y -q phonenumbers phonenumberslite || true

install: $(BIN)/python vendor
	@$(SWAP_PHONENUMBERS)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "the lock is out of date: run make lock"; exit 1; }
	$(MAKE) translations

install-dev: $(BIN)/python vendor
	@$(SWAP_PHONENUMBERS)
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "the lock is out of date: run make lock"; exit 1; }
	$(MAKE) translations

# htmx comes from the npm registry at install time; it is never committed.
vendor: static/vendor/htmx.min.js

static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

translations: $(BIN)/python
	$(BIN)/pybabel compile --use-fuzzy -d translations --statistics 2>&1 | grep -v '^$$' || true
	@ls translations/*/LC_MESSAGES/messages.mo >/dev/null

migrate: install
	$(BIN)/flask --app wsgi db upgrade

demo-data: migrate
	$(BIN)/flask --app wsgi demo-data

run: demo-data
	@echo "Konexi on http://127.0.0.1:$(PORT) (development: SQLite, in-process jobs, dev outbox at /dev/outbox)"
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# Installs what the tests need from Debian's packages when it is missing.
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	{ ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id -u postgres >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing="$$missing $(POSTGIS_PACKAGE)"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

test: system-deps install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	@# vulnerabilities fail; an unreachable vulnerability service is reported loudly (docs/security.md)
	KONEXI_AUDIT_UNREACHABLE=$${KONEXI_AUDIT_UNREACHABLE:-warn} \
	  $(BIN)/python tools/audit_dependencies.py requirements.lock requirements-dev.lock
	$(BIN)/pytest -n $${PYTEST_WORKERS:-auto} --cov=konexi --cov-report=term:skip-covered

# The quick loop while working: SQLite only, no browser, and none of the slow families (fault
# injection, benchmarks, memory, fuzzing, the production day-one rehearsal, the real worker and
# web processes that take many seconds), chosen by their markers (pyproject.toml). `make test`
# runs them.
FAST_MARKERS := not browser and not faults and not slow
test-fast: install-dev
	KONEXI_TEST_DATABASES=sqlite $(BIN)/pytest -n $${PYTEST_WORKERS:-auto} -q -m "$(FAST_MARKERS)"

# ruff (lint and format), the layers (pyproject.toml's import-linter contracts, konexi/services/ruff.toml) and
# the type checker (mypy, configured in pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache
	find translations -name '*.mo' -delete

# Benchmarks (bench/README.md): the performance budgets, measured; table printed, JSON in
# bench/results/latest.json. `make bench BENCH_ARGS=--quick` is the tiny smoke run.
.PHONY: bench-deps
bench-deps:
	@command -v wrk >/dev/null || { echo "installing: wrk"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

bench: system-deps bench-deps install-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Pin every dependency (and theirs) for Python 3.11: requirements.lock for the app (Heroku reads
# it through requirements.txt), requirements-dev.lock for the tests and tools.
.PHONY: lock audit
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url \
	  --no-emit-find-links --extra dev --output-file requirements-dev.lock pyproject.toml

# Known vulnerabilities in the locked set fail the build (tools/audit_dependencies.py says what
# happens when the vulnerability service cannot be reached).
audit: install-dev
	$(BIN)/python tools/audit_dependencies.py requirements.lock requirements-dev.lock
