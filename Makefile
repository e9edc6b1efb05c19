# Konexi: `make run` serves the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
APT_PACKAGES := redis-server postgresql chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-dev vendor translations migrate demo-data system-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e .
	$(MAKE) translations

install-dev: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e '.[dev]'
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
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

test: system-deps install-dev
	$(BIN)/ruff check .
	$(BIN)/pytest -n $${PYTEST_WORKERS:-auto}

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache
	find translations -name '*.mo' -delete
